"""What an SDR would have recorded: passes with the modems of the registry, labelled SIMULATED."""
