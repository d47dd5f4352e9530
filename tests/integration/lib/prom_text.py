#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# prom_text.py - a strict reader of the Prometheus text exposition format
# 0.0.4, for the integration tests (promtool's "check metrics" lints, this
# also hands the values to the test).  Refuses: a line that is not HELP,
# TYPE or a sample; a bad metric or label name, a label name twice, a
# reserved (__) label; escapes other than \\ \" \n (labels) and \\ \n
# (HELP); a value that is not a float; HELP or TYPE twice, or after the
# family's first sample; a sample without HELP and TYPE before it; the
# samples of a family not together; the same series twice; a counter not
# named *_total or negative; timestamps (lanyard sends none); a missing
# final newline.
#
#   prom_text.py FILE     prints {"name{k=\"v\",...}": value, ...} as JSON,
#                         labels in the order given; exits 1 with the line
#                         number and the reason on the first error
import json
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
FLOAT = re.compile(r'^[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|'
                   r'\.[0-9]+(?:[eE][+-]?[0-9]+)?|Inf|NaN)$')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


class Bad(Exception):
    pass


def label_value(s, i):
    """The quoted value starting at s[i] ('"'): (value, index after)."""
    if i >= len(s) or s[i] != '"':
        raise Bad('label value not quoted')
    out, i = [], i + 1
    while True:
        if i >= len(s):
            raise Bad('unterminated label value')
        c = s[i]
        if c == '"':
            return ''.join(out), i + 1
        if c == '\\':
            e = s[i + 1:i + 2]
            if e not in ('\\', '"', 'n'):
                raise Bad('bad escape \\%s in a label value' % e)
            out.append('\n' if e == 'n' else e)
            i += 2
            continue
        if c == '\n':
            raise Bad('newline in a label value')
        out.append(c)
        i += 1


def labels(s, i):
    """'{k="v",...}' at s[i]: (list of (k, v), index after)."""
    pairs, i = [], i + 1
    if s[i:i + 1] == '}':
        return pairs, i + 1
    while True:
        m = re.compile(LABEL).match(s, i)
        if not m:
            raise Bad('bad label name at %r' % s[i:i + 20])
        k = m.group(0)
        if k.startswith('__'):
            raise Bad('reserved label name %s' % k)
        if k in (p[0] for p in pairs):
            raise Bad('label %s twice' % k)
        if s[m.end():m.end() + 1] != '=':
            raise Bad('no = after label %s' % k)
        v, i = label_value(s, m.end() + 1)
        pairs.append((k, v))
        c = s[i:i + 1]
        if c == '}':
            return pairs, i + 1
        if c != ',' or s[i + 1:i + 2] == '}':
            raise Bad('bad label list at %r' % s[i:i + 20])
        i += 1


def check_help(text):
    i = 0
    while i < len(text):
        if text[i] == '\\':
            if text[i + 1:i + 2] not in ('\\', 'n'):
                raise Bad('bad escape in HELP')
            i += 2
        else:
            i += 1


def family_of(name, fam_types):
    """The family a sample belongs to (histogram/summary suffixes)."""
    for suf in ('_bucket', '_sum', '_count'):
        base = name[:-len(suf)] if name.endswith(suf) else None
        if base and fam_types.get(base) in ('histogram', 'summary'):
            return base
    return name


def parse(text):
    if not text.endswith('\n'):
        raise Bad('no final newline')
    helps, types, started, series = {}, {}, set(), {}
    current = None
    for no, line in enumerate(text[:-1].split('\n'), 1):
        try:
            if line.startswith('#'):
                m = re.match(r'^# (HELP|TYPE) (' + NAME + r') (.*)$', line)
                if not m:
                    raise Bad('comment that is not HELP or TYPE')
                what, name, rest = m.groups()
                if name in started:
                    raise Bad('%s after samples of %s' % (what, name))
                if what == 'HELP':
                    if name in helps:
                        raise Bad('HELP twice for %s' % name)
                    check_help(rest)
                    helps[name] = rest
                else:
                    if name in types:
                        raise Bad('TYPE twice for %s' % name)
                    if rest not in TYPES:
                        raise Bad('unknown type %r' % rest)
                    if rest == 'counter' and not name.endswith('_total'):
                        raise Bad('counter %s not named *_total' % name)
                    types[name] = rest
                continue
            m = re.compile(NAME).match(line)
            if not m:
                raise Bad('bad metric name')
            name, i = m.group(0), m.end()
            pairs = []
            if line[i:i + 1] == '{':
                pairs, i = labels(line, i)
            if line[i:i + 1] != ' ':
                raise Bad('no single space before the value')
            value = line[i + 1:]
            if ' ' in value:
                raise Bad('timestamp or trailing text: %r' % value)
            if not FLOAT.match(value):
                raise Bad('value %r is not a float' % value)
            fam = family_of(name, types)
            if fam not in types or fam not in helps:
                raise Bad('sample of %s without HELP and TYPE before' % fam)
            if fam != current and fam in started:
                raise Bad('samples of %s not together' % fam)
            current = fam
            started.add(fam)
            if types[fam] == 'counter' and float(value) < 0:
                raise Bad('negative counter')
            key = name + '{' + ','.join('%s="%s"' % (k, v.replace(
                '\\', '\\\\').replace('"', '\\"').replace('\n', '\\n'))
                for k, v in pairs) + '}'
            canon = (name, tuple(sorted(pairs)))
            if canon in series:
                raise Bad('series twice: %s' % key)
            series[canon] = key
            yield key, float(value)
        except Bad as e:
            raise Bad('line %d: %s: %s' % (no, e, line[:120]))


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        text = f.read()
    try:
        out = dict(parse(text))
    except Bad as e:
        print('prom_text: %s' % e, file=sys.stderr)
        return 1
    json.dump(out, sys.stdout, indent=0, sort_keys=True)
    print()
    return 0


if __name__ == '__main__':
    sys.exit(main())
