"""Evaluation of generated chorales: musical metrics, audio cleanliness and the studio's rubric."""
