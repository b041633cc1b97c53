"""The README's first command, scripts/demo.sh, end to end: its steps show
one line each (no apt or compiler output), every part of the demo prints
what it should, rates read as percentages, and it reports its total time.
It reuses this build tree (BUILD_DIR), so its build step only checks that
the programs are up to date; the demo itself runs in a temp dir."""
import os
import re
import subprocess

from harness import BIN

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_demo_runs_end_to_end_and_prints_its_key_lines(tmp_path):
    build_dir = os.path.dirname(os.path.abspath(BIN))
    env = dict(os.environ, BUILD_DIR=build_dir, PUSHGW_DEMO_DIR=str(tmp_path / "demo"),
               PUSHGW_LOG_DIR=str(tmp_path / "logs"), PUSHGW_JOBS="2")
    env.pop("PUSHGW_SKIP_BUILD", None)
    r = subprocess.run([os.path.join(SRC, "scripts", "demo.sh")], capture_output=True, text=True, timeout=1200,
                       env=env, stdin=subprocess.DEVNULL)
    out = r.stdout
    assert r.returncode == 0, "demo.sh failed:\n" + out[-4000:] + "\n" + r.stderr[-4000:]
    lines = out.splitlines()

    # Set-up: one line per step; apt's and the compiler's output stay in logs/.
    assert re.match(r"^(packages: all \d+ present|installing \d+ packages… \(apt-get output: .*\))$", lines[0]), lines[0]
    assert "building (1/2): " in out and "building (2/2): the programs" in out
    assert re.search(r"^built in \d+(m\d\d)?s: ", out, re.M)
    for noise in ("Reading package lists", "Setting up ", "Scanning dependencies", "[ 50%]", "Building CXX"):
        assert noise not in out, noise
    assert os.path.exists(tmp_path / "logs" / "build.log")

    # The sample batch: verdicts per provider.
    assert "accepted: 9  rejected: 1" in out
    first = out.split("== sending a sample batch")[1].split("== feedback")[0]
    assert re.search(r"results: 9 \(.*4 delivered", first), first
    assert "unsubscribed" in first and "invalid" in first and "bad_token" in first
    feedback = out.split("== feedback change-feed")[1].split("== sending the same batch again")[0]
    assert "unsubscribed" in feedback and "invalid" in feedback and "Unregistered" in feedback
    again = out.split("== sending the same batch again")[1].split("== what the simulated Web Push")[0]
    assert "suppressed" in again
    assert "Hi Aiko" in out.split("== what the simulated Web Push service decrypted")[1].split("== stats")[0]
    assert out.count("recorded:") == 4

    # Campaign reports: rates as percentages with one decimal.
    spring = out.split("== campaign report (pushgwctl campaign spring-sale)")[1].split("== scheduled sends")[0]
    rows = dict(l.split(None, 1) for l in spring.strip().splitlines())
    assert rows["delivery_rate:"].strip() == "61.5%", spring
    for rate in ("open_rate:", "ctr:", "conversion_rate:", "unsubscribe_rate:"):
        assert re.fullmatch(r"\d{1,3}\.\d%", rows[rate].strip()), (rate, rows[rate])
    cart = out.split("== campaign report (pushgwctl campaign cart-reminder)")[1]
    assert re.search(r"^delivered:\s+1$", cart, re.M) and re.search(r"^delivery_rate:\s+100\.0%$", cart, re.M)
    assert "cancelled:  1" in out

    # The total time, last.
    assert re.fullmatch(r"== demo finished in \d+m\d\ds \(packages \d+s, build \d+s, demo \d+s\); files in .*",
                        lines[-1]), lines[-1]
    # Nothing left running.
    ps = subprocess.run(["pgrep", "-f", str(tmp_path / "demo")], capture_output=True, text=True)
    assert ps.stdout.strip() == "", "demo processes left behind: " + ps.stdout
