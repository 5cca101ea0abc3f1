import numpy as np

from deepchorale.data.convert import to_midi
from deepchorale.render import default_soundfont, pianoroll_image, synthesize


def test_synthesize_renders_real_audio_with_a_soundfont(by_id):
    chorale = by_id["bwv269"].crop(0, 32)  # two bars
    audio = synthesize(to_midi(chorale, qpm=120), sample_rate=16000)
    assert default_soundfont().is_file()
    assert audio.dtype == np.float32
    assert 3.5 * 16000 < audio.size < 6.5 * 16000  # 4 s of music plus the release tail
    rms = np.sqrt(np.mean(audio**2))
    assert rms > 0.01 and np.abs(audio).max() <= 1.0


def test_pianoroll_image_is_an_rgb_picture(by_id):
    image = pianoroll_image(by_id["bwv269"].pitches[:, :64], title="bwv269")
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    assert image.std() > 10  # not a blank canvas
