"""deepchorale: Bach-style four-voice harmonisation, embellishment and judging."""

import contextlib
import io

# pyfluidsynth >= 1.4 prints where it found libfluidsynth to stdout on import whenever $CI is set, and
# pretty_midi imports it; import it once here, before anything else can, so no output (a piped
# results line, a CI log) gets that banner. A missing libfluidsynth is reported when audio is rendered.
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(ImportError, OSError):
    import fluidsynth  # noqa: F401
