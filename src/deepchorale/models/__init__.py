"""Generative models of four-voice chorales, each a Lightning module with a generator protocol."""
