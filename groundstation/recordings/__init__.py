"""Recordings in and out: the Block, readers (SigMF, WAV, raw IQ, stdin), writers, KISS files."""
