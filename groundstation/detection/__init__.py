"""Did it transmit? The search, attribution, verdicts and reports of ``check``."""
