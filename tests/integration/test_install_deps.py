"""scripts/install-deps.sh as a fresh machine sees it, with apt-get, sudo,
id and dpkg-query replaced by fakes on a PATH that holds nothing else: as
root without sudo, as a user with sudo, as a user without sudo, and when
apt-get fails. The terminal gets one line per step; apt's output goes to
the log."""
import os
import shutil
import stat
import subprocess

import pytest

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REAL_TOOLS = ("bash", "env", "grep", "tail", "basename", "dirname", "mkdir", "cat", "wc", "sleep")


def fake(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/bash\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def machine(tmp_path):
    """A bin dir with the real basics and fakes; `calls` records what the fakes ran."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in REAL_TOOLS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    calls = tmp_path / "calls"
    # dpkg-query: every package installed except those listed in $MISSING.
    fake(bin_dir / "dpkg-query", 'for p in $MISSING; do [ "$p" = "${@: -1}" ] && exit 1; done\n'
                                 'printf "install ok installed"\n')
    fake(bin_dir / "id", 'echo "$FAKE_UID"\n')
    fake(bin_dir / "apt-get", 'echo "apt-get $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND)" >> %s\n'
                              'echo "Reading package lists... Done"; echo "Setting up tmux (3.3a-3) ..."\n'
                              '[ -z "$APT_FAILS" ] || { echo "E: Unable to locate package $APT_FAILS"; exit 100; }\n'
                              % calls)

    def run(uid, missing, with_sudo, apt_fails=""):
        if with_sudo:
            fake(bin_dir / "sudo", 'echo "sudo $*" >> %s\n[ "$1" = -v ] && exit 0\nexec "$@"\n' % calls)
        elif (bin_dir / "sudo").exists():
            (bin_dir / "sudo").unlink()
        if calls.exists():
            calls.unlink()
        env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "FAKE_UID": str(uid), "MISSING": " ".join(missing),
               "APT_FAILS": apt_fails, "PUSHGW_LOG_DIR": str(tmp_path / "logs")}
        r = subprocess.run([str(bin_dir / "bash"), os.path.join(SRC, "scripts", "install-deps.sh")],
                           capture_output=True, text=True, env=env, timeout=60, cwd=SRC)
        ran = calls.read_text().splitlines() if calls.exists() else []
        log = (tmp_path / "logs" / "install-deps.log")
        return r, ran, log.read_text() if log.exists() else ""
    return run


def test_nothing_to_do_when_every_package_is_present(machine):
    r, ran, _ = machine(uid=1000, missing=[], with_sudo=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("packages: all ") and r.stdout.endswith(" present\n")
    assert ran == []


def test_root_without_sudo_runs_apt_get_itself(machine):
    r, ran, log = machine(uid=0, missing=["tmux", "lintian"], with_sudo=False)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("installing 2 packages… (apt-get output: ") and "install-deps.log" in lines[0]
    assert lines[1].startswith("installed 2 packages in ")
    assert len(lines) == 2, r.stdout
    assert ran == ["apt-get -o Dpkg::Use-Pty=0 update (DEBIAN_FRONTEND=noninteractive)",
                   "apt-get -o Dpkg::Use-Pty=0 install -y --no-install-recommends tmux lintian "
                   "(DEBIAN_FRONTEND=noninteractive)"]
    assert "Reading package lists" in log and "Reading package lists" not in r.stdout + r.stderr


def test_user_with_sudo_gets_sudo_in_front_of_apt_get_only(machine):
    r, ran, _ = machine(uid=1000, missing=["tmux"], with_sudo=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("installing 1 package… ")
    assert ran[0] == "sudo -v"
    assert ran[1].startswith("sudo env DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Use-Pty=0 update")
    assert ran[2] == "apt-get -o Dpkg::Use-Pty=0 update (DEBIAN_FRONTEND=noninteractive)"
    assert ran[-1] == "apt-get -o Dpkg::Use-Pty=0 install -y --no-install-recommends tmux " \
                      "(DEBIAN_FRONTEND=noninteractive)"


def test_user_without_sudo_is_told_what_to_do(machine):
    r, ran, _ = machine(uid=1000, missing=["tmux"], with_sudo=False)
    assert r.returncode == 1
    assert "neither root nor has sudo" in r.stderr and "tmux" in r.stderr
    assert ran == []


def test_an_apt_failure_shows_the_end_of_the_log(machine):
    r, _, log = machine(uid=0, missing=["tmux"], with_sudo=False, apt_fails="tmux")
    assert r.returncode == 1
    assert "E: Unable to locate package tmux" in r.stderr and "install-deps.log" in r.stderr
    assert "E: Unable to locate package" in log
