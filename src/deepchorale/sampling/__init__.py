"""Samplers that turn a trained model into music."""
