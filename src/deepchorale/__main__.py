"""`python -m deepchorale <app> [hydra overrides]`: the `deepchorale` command."""

from deepchorale.cli import main

if __name__ == "__main__":
    main()
