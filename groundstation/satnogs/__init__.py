"""SatNOGS: the network's observations (listing, downloads), their artefacts (waterfalls, audio) and campaigns."""
