"""groundstation: predict, simulate, decode and check satellite passes.

The package ``groundstation`` holds orbits, recordings, the DSP core, detection,
the simulator and the command line; ``frames`` holds the link-layer formats and
``hardware`` the radios. See README.md.
"""

__version__ = "0.1.0"
