"""Orbits: the catalogue, element sets, stations, targets, and Skyfield passes and Doppler."""
