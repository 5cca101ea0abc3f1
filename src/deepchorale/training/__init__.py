"""Lightning modules that train the plain networks of `deepchorale.models` and `deepchorale.judge`.

Only training imports Lightning: inference (compose, evaluate) loads the same weights files into
the plain networks (`models.weights.load_model`).
"""
