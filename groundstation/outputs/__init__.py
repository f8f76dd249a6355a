"""What the program gives people and programs: frame records, sinks, tables, plots."""
