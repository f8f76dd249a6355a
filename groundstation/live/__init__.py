"""Live capture glue: ``hardware`` sources and radios joined to orbits and the DSP."""
