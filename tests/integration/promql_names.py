"""Which metric names and labels a PromQL expression refers to, and whether a
live /metrics scrape has them. Enough of PromQL for alert rules and Grafana
panels: selectors with label matchers, range and subquery brackets, function
calls, aggregations with by/without, vector matching with on/ignoring/
group_left/group_right, Grafana's $variables and label_values(metric, label)."""
import re

# Labels Prometheus adds to every scraped series, and series it makes itself.
TARGET_LABELS = {"job", "instance"}
SYNTHETIC = {"up": set(TARGET_LABELS), "scrape_duration_seconds": set(TARGET_LABELS)}

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
                "quantile"}

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<var>\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\])
  | (?P<num>(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)(?:ms|[smhdwy])?(?:\d+(?:ms|[smhdwy]))*|\.\d+)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=(){}\[\],@:])
""", re.X)


class Reference:
    """What one expression names: (metric, {label, ...}) selectors and grouping labels."""

    def __init__(self):
        self.selectors = []  # (metric or None, [label, ...])
        self.grouping = []   # labels in by/without/on/ignoring/group_* clauses
        self.label_values = []  # (metric, label) from Grafana's label_values()

    def metrics(self):
        return {m for m, _ in self.selectors if m}


def tokenize(expr):
    pos, out = 0, []
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError("cannot tokenize %r at %d: %r" % (expr, pos, expr[pos:pos + 20]))
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def _matchers(tokens, i):
    """tokens[i] is '{': returns (labels, index after '}')."""
    labels, i = [], i + 1
    while tokens[i][1] != "}":
        kind, text = tokens[i]
        if kind == "ident" or (kind == "str" and tokens[i + 1][1] in ("=", "!=", "=~", "!~")):
            labels.append(text.strip("\"'`"))
            if tokens[i + 1][1] not in ("=", "!=", "=~", "!~"):
                raise ValueError("label %s without a matcher" % text)
            if tokens[i + 2][0] not in ("str", "var"):
                raise ValueError("label %s is not matched against a string" % text)
            i += 3
        elif text == ",":
            i += 1
        else:
            raise ValueError("unexpected %r in label matchers" % text)
    return labels, i + 1


def _skip_brackets(tokens, i):
    depth = 0
    while True:
        if tokens[i][1] == "[":
            depth += 1
        elif tokens[i][1] == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def _label_list(tokens, i):
    """tokens[i] is '(': the identifiers up to ')'."""
    labels, i = [], i + 1
    while tokens[i][1] != ")":
        if tokens[i][0] == "ident":
            labels.append(tokens[i][1])
        elif tokens[i][1] != ",":
            raise ValueError("unexpected %r in a label list" % tokens[i][1])
        i += 1
    return labels, i + 1


def references(expr):
    tokens = tokenize(expr) + [("end", "")]
    ref, i = Reference(), 0
    while tokens[i][0] != "end":
        kind, text = tokens[i]
        nxt = tokens[i + 1][1]
        if kind == "ident" and text == "label_values" and nxt == "(":
            # label_values(label) or label_values(selector, label)
            depth, j, metric, labels = 0, i + 2, None, []
            while not (tokens[j][1] == ")" and depth == 0):
                if tokens[j][1] == "{":
                    sel, j = _matchers(tokens, j)
                    labels += sel
                    continue
                if tokens[j][1] == "(":
                    depth += 1
                elif tokens[j][1] == ")":
                    depth -= 1
                elif tokens[j][0] == "ident":
                    if metric is None and tokens[j + 1][1] in (",", "{"):
                        metric = tokens[j][1]
                    else:
                        ref.label_values.append((metric, tokens[j][1]))
                j += 1
            ref.selectors.append((metric, labels))
            i = j + 1
        elif kind == "ident" and text in GROUPING and nxt == "(":
            labels, i = _label_list(tokens, i + 1)
            ref.grouping += labels
        elif kind == "ident" and (nxt == "(" or (text in AGGREGATIONS and nxt in ("by", "without"))):
            i += 1  # a function call, or an aggregation with its grouping first
        elif kind == "ident" and text in KEYWORDS:
            i += 1
        elif kind == "ident":
            labels = []
            i += 1
            if tokens[i][1] == "{":
                labels, i = _matchers(tokens, i)
            ref.selectors.append((text, labels))
        elif text == "{":
            labels, i = _matchers(tokens, i)
            ref.selectors.append((None, labels))
        elif text == "[":
            i = _skip_brackets(tokens, i)
        else:
            i += 1
    return ref


def parse_exposition(text):
    """{series name: {label names with a non-empty value in some sample}} from
    Prometheus text format. A label with an empty value is no label at all."""
    exported = {}
    pair = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+\S+", line)
        if not m:
            raise ValueError("bad sample line: %r" % line)
        labels = exported.setdefault(m.group(1), set())
        for name, value in pair.findall(m.group(2) or ""):
            if value != "":
                labels.add(name)
    return exported


def problems(expr, exported):
    """Names in expr that `exported` (parse_exposition) does not have."""
    known = dict(exported)
    for name, labels in SYNTHETIC.items():
        known.setdefault(name, set(labels))
    try:
        ref = references(expr)
    except (ValueError, IndexError) as e:
        return ["cannot parse: %s" % e]
    out = []
    in_scope = set(TARGET_LABELS)
    for metric, labels in ref.selectors:
        if metric is None:
            out.append("selector without a metric name: %s" % labels)
            continue
        if metric not in known:
            out.append("metric %s is not exported" % metric)
            continue
        have = known[metric] | TARGET_LABELS
        in_scope |= have
        for label in labels:
            if label not in have:
                out.append("metric %s has no label %s" % (metric, label))
    for label in ref.grouping:
        if label not in in_scope:
            out.append("no metric in the expression has label %s (by/without/on)" % label)
    for metric, label in ref.label_values:
        if metric in known and label not in known[metric] | TARGET_LABELS:
            out.append("label_values: metric %s has no label %s" % (metric, label))
    return out
