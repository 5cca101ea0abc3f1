"""Registers: Bach's committed bands, and another corpus's read from a file or a weights record."""

import json

import pytest

from deepchorale.data.registers import (
    BANDS_PATH,
    RegistersError,
    bach_registers,
    read_registers,
    registers_from_json,
)


def test_bach_registers_are_the_committed_file():
    bach = bach_registers()
    assert bach.bands == read_registers(BANDS_PATH).bands
    assert bach.summary() == "S 62-78, A 58-71, T 53-66, B 41-60"
    assert bach.medians == (71, 65, 59, 51)


def test_a_registers_record_round_trips_through_its_json(tmp_path):
    bach = bach_registers()
    path = tmp_path / "registers.json"
    path.write_text(json.dumps(bach.as_json("Bach again", (2, 98))))
    again = read_registers(path)
    assert (again.bands, again.medians, again.source) == (bach.bands, bach.medians, str(path))


GOOD = {
    "bands": {"soprano": [60, 79], "alto": [55, 72], "tenor": [48, 67], "bass": [40, 60]},
    "medians": {"soprano": 70, "alto": 64, "tenor": 57, "bass": 50},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bands": None}, "f: no register bands"),
        ({"medians": []}, "f: no median pitches"),
        ({"bands": {**GOOD["bands"], "alto": [55]}}, "f: the alto's band is [55], not [lowest, highest]"),
        ({"bands": {**GOOD["bands"], "bass": [40, 128]}}, "f: the bass's highest is 128, not a MIDI pitch"),
        (
            {"bands": {**GOOD["bands"], "tenor": [48, "G4"]}},
            "f: the tenor's highest is 'G4', not a MIDI pitch",
        ),
        (
            {"medians": {**GOOD["medians"], "soprano": 80}},
            "f: the soprano's median 80 is outside its band 60-79",
        ),
    ],
)
def test_a_bad_registers_record_is_refused_naming_what_is_wrong(change, message):
    with pytest.raises(RegistersError, match="^" + message.replace("[", r"\[").replace("]", r"\]")):
        registers_from_json({**GOOD, **change}, "f")


def test_an_unreadable_registers_file_is_one_line(tmp_path):
    with pytest.raises(RegistersError, match="not found"):
        read_registers(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(RegistersError, match="is not a readable registers file"):
        read_registers(tmp_path / "bad.json")
    assert registers_from_json(GOOD, "f").summary() == "S 60-79, A 55-72, T 48-67, B 40-60"
