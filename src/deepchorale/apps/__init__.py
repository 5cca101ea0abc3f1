"""Hydra applications behind `deepchorale <app>`: one module each, with its primary config in conf/."""
