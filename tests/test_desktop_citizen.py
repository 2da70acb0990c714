"""A good desktop citizen, the parts without Qt: the user's folders, the settings file's move to the config
folder and --reset-settings, the log and crash files, --info, opening a file from the command
line, and the desktop entry and icon shipped in the package."""

from __future__ import annotations

import configparser
import logging
import logging.handlers
import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET

import pytest

from vaedesk.cli import main
from vaedesk.support import logs
from vaedesk.support.info import info_text
from vaedesk.support.paths import (
    app_icon_path,
    desktop_dir,
    settings_path,
    user_config_dir,
    user_data_dir,
    user_log_dir,
)
from vaedesk.support.settings import SettingsError, legacy_settings_path, migrate_settings, reset_settings

from tests.support.cli import run_cli
from tests.support.paths import REPO


# ---------------------------------------------------------------------------------------- folders
def test_every_folder_follows_vaedesk_home(_isolated_home):
    assert user_data_dir() == _isolated_home
    assert user_config_dir() == _isolated_home / "config"
    assert user_log_dir() == _isolated_home / "log"
    assert settings_path() == _isolated_home / "config" / "settings.ini"


def test_without_vaedesk_home_the_platforms_folders_are_used(monkeypatch):
    import platformdirs

    monkeypatch.delenv("VAEDESK_HOME")
    assert user_config_dir() == platformdirs.user_config_path("vaedesk", appauthor=False)
    assert user_log_dir() == platformdirs.user_log_path("vaedesk", appauthor=False)


# --------------------------------------------------------------------------------------- settings
SETTINGS = "[General]\nversion=1\nmodel=mnist-ae-2d\npen_scale=1.7\n"


def test_the_settings_move_to_the_config_folder_once_with_every_value():
    old = legacy_settings_path()
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text(SETTINGS, encoding="utf-8")
    assert migrate_settings() == settings_path()
    assert not old.exists()
    assert settings_path().read_text(encoding="utf-8") == SETTINGS
    assert migrate_settings() is None  # once
    # An old file that reappears (an older vaedesk ran) never replaces the settings in use.
    old.write_text("[General]\nmodel=other\n", encoding="utf-8")
    assert migrate_settings() is None
    assert settings_path().read_text(encoding="utf-8") == SETTINGS and old.exists()


def test_nothing_to_move_is_no_error():
    assert migrate_settings() is None
    assert not settings_path().exists()


def test_a_config_folder_that_cannot_be_written_keeps_the_old_file():
    old = legacy_settings_path()
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text(SETTINGS, encoding="utf-8")
    user_config_dir().write_text("a file where the folder should be")
    with pytest.raises(SettingsError, match="cannot move the settings"):
        migrate_settings()
    assert old.read_text(encoding="utf-8") == SETTINGS


def test_reset_settings_removes_the_file_and_says_so(capsys):
    code, out, _ = run_cli(capsys, "--reset-settings")
    assert code == 0 and out == f"no settings to remove ({settings_path()} does not exist)\n"
    settings_path().parent.mkdir(parents=True)
    settings_path().write_text(SETTINGS, encoding="utf-8")
    legacy_settings_path().write_text(SETTINGS, encoding="utf-8")
    (user_data_dir() / "session.json").write_text("{}", encoding="utf-8")
    code, out, _ = run_cli(capsys, "--reset-settings")
    assert code == 0 and out == f"removed {settings_path()}\nremoved {legacy_settings_path()}\n"
    assert not settings_path().exists() and (user_data_dir() / "session.json").exists()  # the work stays


def test_reset_settings_that_cannot_remove_is_one_line(capsys):
    settings_path().mkdir(parents=True)  # a folder where the file should be
    code, out, err = run_cli(capsys, "--reset-settings")
    assert code == 1 and out == "" and err.count("\n") == 1 and "is a folder" in err
    with pytest.raises(SettingsError):
        reset_settings()


# -------------------------------------------------------------------------------------- log files
@pytest.fixture
def clean_logging():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    hooks = sys.excepthook, threading.excepthook
    yield
    logs.stop_logging()
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks


def test_the_log_file_takes_vaedesks_info_and_everyones_warnings(clean_logging, capsys):
    path = logs.setup_logging()
    assert path == user_log_dir() / "vaedesk.log"
    logging.getLogger("vaedesk.test").info("model ready")
    logging.getLogger("vaedesk.test").warning("cannot open digit.png")
    logging.getLogger("somelib").info("chatter")
    logging.getLogger("somelib").warning("a library's warning")
    logs.setup_logging()  # a second set-up replaces the first: nothing is written twice
    logging.getLogger("vaedesk.test").error("once")
    try:
        {}["key"]
    except KeyError:
        logging.getLogger("vaedesk.test").exception("a bug")
    logging.getLogger("vaedesk.test").error("for the file", extra=logs.FILE_ONLY)
    text = path.read_text(encoding="utf-8")
    assert "ERROR vaedesk.test: a bug\nTraceback" in text and "for the file" in text
    assert "INFO vaedesk.test: model ready" in text and "WARNING vaedesk.test: cannot open digit.png" in text
    assert "a library's warning" in text and "chatter" not in text
    assert text.count("once") == 1
    err = capsys.readouterr().err  # the terminal gets warnings and errors only
    assert "cannot open digit.png" in err and "model ready" not in err and err.count("once") == 1
    assert "vaedesk: ERROR: vaedesk.test: a bug\n" in err and "Traceback" not in err  # one line each
    assert "for the file" not in err


def test_the_log_file_rotates(clean_logging):
    logs.setup_logging()
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler))
    assert handler.maxBytes == logs.LOG_BYTES and handler.backupCount == logs.LOG_BACKUPS


def test_a_log_folder_that_cannot_be_written_leaves_stderr(clean_logging, capsys):
    user_log_dir().parent.mkdir(parents=True, exist_ok=True)
    user_log_dir().write_text("a file, not a folder")
    assert logs.setup_logging() is None
    assert "no log file: cannot write to" in capsys.readouterr().err


def test_uncaught_exceptions_are_logged_and_reported(clean_logging):
    path = logs.setup_logging(stderr=False)
    told = []
    restore = logs.log_uncaught(told.append)
    try:
        try:
            raise RuntimeError("a bug in a slot")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        thread = threading.Thread(target=lambda: 1 / 0, name="helper")
        thread.start()
        thread.join()
    finally:
        restore()
    text = path.read_text(encoding="utf-8")
    assert "ERROR vaedesk: uncaught RuntimeError: a bug in a slot" in text and "Traceback" in text
    assert "uncaught ZeroDivisionError in thread helper" in text
    assert [str(e) for e in told] == ["a bug in a slot"]


@pytest.mark.subprocess
def test_a_crash_is_written_to_the_crash_file_and_named_at_the_next_start(tmp_path):
    code = "from vaedesk.support import logs; logs.enable_crash_file(); import ctypes; ctypes.string_at(0)"
    env = {**os.environ, "VAEDESK_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    crash = (tmp_path / "log" / "crash.log").read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in crash and "<string>" in crash
    code = ("from vaedesk.support import logs; print(logs.setup_logging()); logs.enable_crash_file(); "
            "import faulthandler; print(faulthandler.is_enabled())")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.split() == [str(tmp_path / "log" / "vaedesk.log"), "True"]
    assert "the last run of vaedesk crashed" in result.stderr and "crash.previous.log" in result.stderr
    assert (tmp_path / "log" / "crash.previous.log").read_text(encoding="utf-8") == crash
    assert (tmp_path / "log" / "crash.log").read_text(encoding="utf-8") == ""


# ------------------------------------------------------------------------------------------- info
def test_info_names_versions_folders_and_models(capsys):
    code, out, err = run_cli(capsys, "--info")
    assert code == 0 and err == ""
    for name in ("vaedesk", "Python", "torch", "PySide6", "Qt", "pyqtgraph", "numpy"):
        assert name in out
    for folder in (user_data_dir(), user_config_dir(), user_log_dir(), settings_path(), desktop_dir()):
        assert str(folder) in out
    assert "bundled models" in out and "bundled data" in out and "cache" in out
    assert "mnist-vae-2d" in out and "mnist-vae-16d" in out
    assert "(not created yet)" in out  # a fresh home


def test_info_text_is_aligned_sections(tmp_path):
    text = info_text({"vaedesk": "1.0", "torch": "2.13"}, {"data": tmp_path, "log": tmp_path / "nope"},
                     [("mnist-vae-2d", "/m/mnist-vae-2d.safetensors")])
    assert text.splitlines() == [
        "versions", "  vaedesk  1.0", "  torch    2.13", "folders", f"  data  {tmp_path}",
        f"  log   {tmp_path / 'nope'}  (not created yet)", "models (1)",
        "  mnist-vae-2d  /m/mnist-vae-2d.safetensors"]


def test_info_is_not_a_command_option(capsys):
    code, _, err = run_cli(capsys, "--info", "models")
    assert code == 2 and err == "vaedesk: error: --info takes no command (see vaedesk --help)\n"


@pytest.mark.subprocess
def test_the_pure_modules_import_no_qt():
    code = ("import sys, vaedesk.support.info, vaedesk.support.logs, vaedesk.support.settings; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'torch'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.stdout.strip() == "[]", result.stderr[-2000:]


# ------------------------------------------------------------------------------ opening a file
@pytest.mark.parametrize("argv, message", [
    (["missing.png"], "vaedesk: error: missing.png: no such file\n"),
    (["trian"], "vaedesk: error: trian: no such file and not a command (gui, train, eval, encode, morph, "
                "traverse, models)\n"),
    (["gui", "missing.png", "--model", "mnist-ae-2d"], "vaedesk: error: missing.png: no such file\n"),
    (["gui", "."], "vaedesk: error: .: is a folder, not a drawing or an image\n"),
    (["gui", ""], "vaedesk: error: no file name given\n"),
    (["x" * 5000 + ".png"], None),
])
def test_a_file_that_is_not_there_is_one_line_before_any_window(capsys, monkeypatch, tmp_path, argv, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("vaedesk.cli.missing_display", lambda: pytest.fail("the app was started"))
    code, out, err = run_cli(capsys, *argv)
    assert code == 1 and out == "" and err.count("\n") == 1 and err.startswith("vaedesk: error: ")
    if message:
        assert err == message


def test_vaedesk_file_and_vaedesk_gui_file_open_the_app_with_it(monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr("vaedesk.cli.missing_display", lambda: None)
    monkeypatch.setattr("vaedesk.gui.main", lambda **kw: started.append(kw) or 0, raising=False)
    image = tmp_path / "digit.png"
    image.write_bytes(b"not checked before the window: the window says what is wrong with it")
    assert main([str(image)]) == 0
    assert main(["gui", str(image), "--model", "mnist-ae-2d"]) == 0
    assert main([str(image), "--model", "mnist-ae-2d"]) == 0
    assert main(["gui"]) == 0 and main([]) == 0
    assert started == [{"file": str(image), "model": None}, {"file": str(image), "model": "mnist-ae-2d"},
                       {"file": str(image), "model": "mnist-ae-2d"}] + [{"file": None, "model": None}] * 2


def test_commands_still_win_over_file_names(capsys):
    code, out, _ = run_cli(capsys, "models")
    assert code == 0 and "mnist-vae-2d" in out


# ----------------------------------------------------------------------------- desktop entry
def test_the_desktop_entry_launches_vaedesk_with_a_file_and_names_the_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(desktop_dir() / "vaedesk.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == "vaedesk" and section["Comment"]
    assert section["Exec"] == "vaedesk %f" and section["Icon"] == "vaedesk"
    assert section["Categories"] == "Education;Science;"
    assert set(section["MimeType"].rstrip(";").split(";")) == {"image/png", "image/jpeg"}


@pytest.mark.subprocess
def test_the_icon_is_a_small_square_svg_inside_the_package():
    path = app_icon_path()
    assert path.parent.parent == REPO / "vaedesk"  # in the package: the wheel carries it
    assert path.stat().st_size < 4096
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 128 128"
    if (REPO / ".git").exists():  # hatch leaves git-ignored files out of the wheel
        ignored = subprocess.run(["git", "check-ignore", str(path), str(desktop_dir() / "vaedesk.desktop")],
                                 cwd=REPO, capture_output=True, text=True)
        assert ignored.returncode == 1, ignored.stdout  # 1: none of them is ignored
