"""Compose: any melody -> a four-voice, embellished Baroque track of a target duration."""
