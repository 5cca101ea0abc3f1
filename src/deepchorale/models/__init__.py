"""Generative models of four-voice chorales: plain `nn.Module` networks and the models compose samples
(the `Infiller` protocol); their training modules are in `deepchorale.training`."""
