"""evaluate's loggers: conf/logger/'s entries built without Lightning, writing Lightning's CSV layout."""

import csv

import pytest
from omegaconf import OmegaConf

from deepchorale.evaluation.run_loggers import CsvLogger, LoggerConfigError, build_loggers
from tests.conftest import REPO


def test_the_csv_logger_writes_lightnings_layout(tmp_path):
    shipped = OmegaConf.load(REPO / "conf" / "logger" / "csv.yaml")  # logger=csv
    shipped.csv.save_dir = str(tmp_path)
    (logger,) = build_loggers(shipped)
    assert isinstance(logger, CsvLogger)
    logger.log_hyperparams({"judge_window": 96, "nested": {"seed": 0}})
    logger.log_metrics({"a": 1.0, "b": 2.0})
    logger.log_metrics({"a": 3.0, "c": 4.0})
    with open(tmp_path / "csv" / "version_0" / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {"a": "1.0", "b": "2.0", "step": "0", "c": ""},
        {"a": "3.0", "b": "", "step": "1", "c": "4.0"},
    ]
    assert OmegaConf.load(tmp_path / "csv" / "version_0" / "hparams.yaml").nested.seed == 0
    assert CsvLogger(str(tmp_path), "csv").folder.name == "version_1"  # a later run: the next version


def test_null_entries_are_off_and_unknown_loggers_one_clear_error(tmp_path):
    assert build_loggers(None) == []
    assert build_loggers(OmegaConf.create({"csv": None})) == []
    tensorboard = {"tb": {"_target_": "lightning.pytorch.loggers.TensorBoardLogger", "save_dir": "."}}
    with pytest.raises(LoggerConfigError, match=r"logger\.tb: evaluate writes WandbLogger, CSVLogger logs"):
        build_loggers(OmegaConf.create(tensorboard))
    misspelt = {"csv": {"_target_": "lightning.pytorch.loggers.CSVLogger", "save_dri": str(tmp_path)}}
    with pytest.raises(LoggerConfigError, match=r"logger\.csv: .*save_dri"):
        build_loggers(OmegaConf.create(misspelt))
