"""The numpy DSP core: modems, HDLC bit handling, channel operations. Never imports Skyfield."""
