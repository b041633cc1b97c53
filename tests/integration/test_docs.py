"""The man pages stay in step with the programs and the reference config:
every option a program's --help shows is in its man page and the other way
round, every key of conf/pushgw.toml is in pushgw.toml(5) and the other way
round, and pushgwctl's bash completion offers exactly its commands and options."""
import os
import re
import subprocess

import pytest

from harness import binpath

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAN = os.path.join(SRC, "docs", "man")
COMPLETION = os.path.join(SRC, "tools", "pushgwctl", "pushgwctl.bash")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def man_text(page):
    """The page's text with roff's escaped hyphens and font switches undone."""
    text = open(os.path.join(MAN, page)).read()
    return re.sub(r"\\f[BIRP]", "", text).replace("\\-", "-").replace("\\(em", "-")


def help_of(*args):
    r = subprocess.run([binpath(args[0])] + list(args[1:]), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip(), "--help prints to stdout"
    return r.stdout


def ctl_commands():
    text = help_of("pushgwctl", "--help")
    block = text.split("commands:")[1].split("options:")[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def ctl_help():
    return help_of("pushgwctl", "--help") + "".join(help_of("pushgwctl", c, "--help") for c in ctl_commands())


@pytest.mark.parametrize("program,page,help_args", [
    ("pushgwd", "pushgwd.8", ["--help"]),
    ("pushgw-sim", "pushgw-sim.1", ["--help"]),
    ("pushgw-bench", "pushgw-bench.1", ["--help"]),
])
def test_man_page_names_exactly_the_options_of_help(program, page, help_args):
    in_help = set(OPTION.findall(help_of(program, *help_args)))
    in_man = set(OPTION.findall(man_text(page)))
    assert in_help, program
    assert in_help - in_man == set(), "options in --help but not in %s" % page
    assert in_man - in_help == set(), "options in %s but not in --help" % page


def test_pushgwctl_man_page_has_every_command_and_option():
    in_help = set(OPTION.findall(ctl_help()))
    man = man_text("pushgwctl.1")
    in_man = set(OPTION.findall(man))
    assert in_help - in_man == set(), "options in pushgwctl help but not in pushgwctl(1)"
    assert in_man - in_help == set(), "options in pushgwctl(1) but not in any help"
    commands = man.split(".SH COMMANDS")[1].split(".SH ")[0]
    documented = set(re.findall(r"^\.TP\n\.B[IR]? \"?([a-z]+)", commands, re.M))
    assert documented == set(ctl_commands())


def test_pushgw_sim_man_page_has_every_subcommand():
    subs = set(re.findall(r"pushgw-sim ([a-z][a-z-]+)", help_of("pushgw-sim", "--help")))
    assert {"serve", "gen-ca"} <= subs
    man = man_text("pushgw-sim.1")
    for s in subs:
        assert ".B pushgw-sim " + s in man, s


def conf_keys():
    """(section, key) for every setting in conf/pushgw.toml, commented out or not."""
    keys, section = set(), None
    for line in open(os.path.join(SRC, "conf", "pushgw.toml")):
        m = re.match(r"^#?\[\[?([a-z.]+)\]\]?\s*$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^#? ?([a-z_]+) = ", line)
        if m and section:
            keys.add((section, m.group(1)))
    return keys


def man_keys():
    keys, section = set(), None
    lines = man_text("pushgw.toml.5").splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^\.S[HS] \[\[?([a-z.]+)\]\]?$", line)
        if m:
            section = m.group(1)
        elif re.match(r"^\.S[HS] ", line):
            section = None
        elif line == ".TP" and section and i + 1 < len(lines):
            m = re.match(r"^\.B ([a-z_]+)$", lines[i + 1])
            if m:
                keys.add((section, m.group(1)))
    return keys


def test_pushgw_toml_man_page_documents_exactly_the_reference_config():
    conf, man = conf_keys(), man_keys()
    assert ("log", "format") in conf and ("apns", "key_file") in conf and ("store", "dsn") in conf
    assert conf - man == set(), "keys in conf/pushgw.toml but not in pushgw.toml(5)"
    assert man - conf == set(), "keys in pushgw.toml(5) but not in conf/pushgw.toml"


def test_man_pages_render_without_warnings():
    for page in os.listdir(MAN):
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", os.path.join(MAN, page)],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80"))
        assert r.returncode == 0 and r.stderr == "", "%s: %s" % (page, r.stderr)


def complete(*words):
    """What the completion offers after `pushgwctl <words>` (the last word is the one being completed)."""
    line = ["pushgwctl"] + list(words)
    script = 'source "%s"; COMP_WORDS=(%s); COMP_CWORD=%d; _pushgwctl; printf "%%s\\n" "${COMPREPLY[@]}"' % (
        COMPLETION, " ".join("'%s'" % w for w in line), len(line) - 1)
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, cwd=SRC)
    assert r.returncode == 0, r.stderr
    return set(w for w in r.stdout.split("\n") if w)


def test_bash_completion_offers_commands_and_each_commands_options():
    glob = {"--socket", "--json", "--timeout", "--help", "--version"}
    assert complete("") == set(ctl_commands()) | glob
    assert complete("st") == {"stats"}
    assert complete("--socket", "/tmp/x.sock", "fe") == {"feedback"}
    for cmd in ctl_commands():
        own = set(OPTION.findall(help_of("pushgwctl", cmd, "--help").split("\nglobal options")[0])) - glob
        assert complete(cmd, "--") == own | glob, cmd
    assert complete("event", "--platform", "") == {"apns", "fcm", "webpush"}
    assert complete("event", "--kind", "c") == {"click", "conversion"}
    assert "README.md" in complete("send", "READ")
