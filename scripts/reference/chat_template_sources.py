"""Template texts for chat_template_goldens.py.

VERBATIM: well-known public chat templates, as their models' tokenizer_config.json publish them.
FEATURES: small templates that each exercise one part of Jinja (whitespace control, scoping,
filters, tests, methods, errors) so that a mismatch points at the feature. Each entry is
(name, source) or (name, source, [conversation names]).
"""

LLAMA2 = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
    "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
)

MISTRAL = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
)

ZEPHYR = """{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}"""

GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}"
    "{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}"
)

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'"
    " + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim"
    " + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)

VERBATIM = [
    {"name": "llama-2-chat", "origin": "verbatim:meta-llama/Llama-2-7b-chat-hf", "source": LLAMA2,
     "variables": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}},
    {"name": "mistral-instruct-v0.1", "origin": "verbatim:mistralai/Mistral-7B-Instruct-v0.1", "source": MISTRAL,
     "variables": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}},
    {"name": "zephyr-7b-beta", "origin": "verbatim:HuggingFaceH4/zephyr-7b-beta", "source": ZEPHYR,
     "variables": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}},
    {"name": "gemma-it", "origin": "verbatim:google/gemma-7b-it", "source": GEMMA,
     "variables": {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"}},
    {"name": "chatml", "origin": "verbatim:ChatML (teknium/OpenHermes-2.5-Mistral-7B)", "source": CHATML,
     "variables": {"bos_token": "<s>", "eos_token": "<|im_end|>"}},
    {"name": "llama-3-instruct", "origin": "verbatim:meta-llama/Meta-Llama-3-8B-Instruct", "source": LLAMA3,
     "variables": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}},
]

ONE = ["multi_turn"]

FEATURES = [
    # whitespace control: trim_blocks, lstrip_blocks, - and +, comments, raw
    ("trim-lstrip", "{% for m in messages %}\n    {% if m.role == 'user' %}\n  U: {{ m.content }}\n    {% else %}\nA: {{ m.content }}\n    {% endif %}\n{% endfor %}\n"),
    ("dash-control", "<{%- for m in messages -%}\n  [{{- m.role -}}]  \n{%- endfor -%}>\n  {{- 'end' }}  \n"),
    ("plus-control", "{% for m in messages %}\n  {%+ if true %}x{% endif +%}\n{% endfor +%}\nafter\n"),
    ("comments", "{# header #}\n  {# indented comment #}\nA{#- strip left #}  B  {#- both -#}  C\n{# trailing #}\nD  {#+ keep +#}\nE"),
    ("raw", "{% raw %}{{ not evaluated }} {% if %}{% endraw %}\n  {%- raw -%}  spaced  {%- endraw %}|", ONE),
    ("crlf-source", "{% for m in messages %}\r\n{{ m.role }}\r\n{% endfor %}\r\nend\r\n", ONE),
    ("tabs-lstrip", "{% if true %}\n\t\t{% if true %}\n\tyes\n\t\t{% endif %}\n{% endif %}", ONE),
    ("variable-no-lstrip", "  {{ 'a' }}\n  {% if true %}b{% endif %}\n  {{- 'c' -}}  \n", ONE),
    ("trailing-newlines", "x\n\n", ONE),
    # scoping
    ("loop-scope", "{% set x = 'outer' %}{% for m in messages %}{{ x }},{% set x = m.role %}{{ x }};{% endfor %}{{ x }}"),
    ("namespace", "{% set ns = namespace(n=0, last=none, roles=[]) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% set ns.last = m.role %}{% set ns.roles = ns.roles + [m.role] %}{% endfor %}{{ ns.n }} {{ ns.last }} {{ ns.roles }} {{ ns }}"),
    ("if-scope-and-with", "{% set a = 1 %}{% if true %}{% set a = 2 %}{% endif %}{{ a }}{% with b = a + 1 %}{{ b }}{% set a = 9 %}{% endwith %}{{ a }}{{ b }}", ONE),
    ("set-block", "{% set block %}{% for m in messages %}{{ m.role }} {% endfor %}{% endset %}[{{ block | trim }}]{% set up | upper %}shout {{ messages | length }}{% endset %}{{ up }}"),
    ("filter-block", "{% filter upper %}{% for m in messages %}{{ m.role }}{% endfor %}{% endfilter %}|{% filter trim | replace('a', 'A') %}  banana  {% endfilter %}"),
    # loops
    ("loop-vars", "{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.length }}/{{ loop.first }}/{{ loop.last }}/{{ loop.cycle('odd', 'even') }}/{{ loop.previtem.role if loop.previtem is defined else '-' }}/{{ loop.nextitem.role if loop.nextitem is defined else '-' }} {% endfor %}"),
    ("loop-filter-else", "{% for m in messages if m.role == 'assistant' %}{{ loop.index }}:{{ loop.length }}:{{ m.content[:10] }} {% else %}no assistant{% endfor %}|{% for x in [] %}x{% else %}empty{% endfor %}"),
    ("break-continue", "{% for m in messages %}{% if loop.index == 1 %}{% continue %}{% endif %}{{ m.role }}{% if m.role == 'assistant' %}{% break %}{% endif %}{% endfor %}|{% for i in range(10) %}{% if i is odd %}{% continue %}{% endif %}{% if i > 6 %}{% break %}{% endif %}{{ i }}{% endfor %}"),
    ("unpacking", "{% for k, v in messages[0].items() %}{{ k }}={{ v[:5] }};{% endfor %}{% for a, (b, c) in [(1, (2, 3)), (4, 'xy')] %}{{ a }}{{ b }}{{ c }}{% endfor %}{% for ch in 'abc' %}{{ ch }}.{% endfor %}{% for key in {'k1': 1, 'k2': 2} %}{{ key }}{% endfor %}", ONE),
    ("nested-loops", "{% for m in messages %}{% for w in m.content.split()[:3] %}{{ loop.index }}{{ w[0] }}{% endfor %}@{{ loop.index }} {% endfor %}"),
    # macros
    ("macros", "{% macro turn(role, text, end='<end>') -%}\n<{{ role }}>{{ text | trim }}{{ end }}\n{%- endmacro %}{% for m in messages %}{{ turn(m.role, m.content) }}{{ turn(m.role, text='x', end='!') }}{% endfor %}{{ turn() }}"),
    ("macro-varargs", "{% macro f(a, b=2) %}{{ a }}-{{ b }}-{{ varargs }}-{{ kwargs }}{% endmacro %}{{ f(1) }}|{{ f(1, 3, 4, 5) }}|{{ f(a=7, z=8) }}|{% macro g() %}[{{ varargs | join(',') }}]{% endmacro %}{{ g('p', 'q') }}", ONE),
    ("macro-recursion", "{% macro fmt(v) %}{% if v is mapping %}{{ '{' }}{% for k, x in v | dictsort %}{{ k }}:{{ fmt(x) }}{% if not loop.last %},{% endif %}{% endfor %}{{ '}' }}{% elif v is string %}'{{ v }}'{% elif v is sequence %}[{% for x in v %}{{ fmt(x) }}{{ ',' if not loop.last }}{% endfor %}]{% else %}{{ v }}{% endif %}{% endmacro %}{{ fmt({'b': [1, 2.5, 'x', none, true], 'a': {'c': 'd'}}) }}", ONE),
    ("macro-late-global", "{% macro show() %}{{ later }}|{{ messages | length }}{% endmacro %}{% set later = 'set after the macro' %}{{ show() }}", ONE),
    # expressions
    ("arithmetic", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 / 2 }} {{ 8 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }} {{ 1.5 + 1 }} {{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 1e16 }} {{ 1e15 }} {{ 10 / 3 }} {{ -0.0 }} {{ 3 - 5 }} {{ 1_000 + 0x10 + 0o7 + 0b11 }} {{ 2.5e3 }} {{ True + True }}", ONE),
    ("strings-concat", "{{ 'a' ~ 1 ~ none ~ true ~ 1.0 ~ [1, 'b'] ~ {'k': 'v'} ~ undefined_name }}|{{ 'ab' * 3 }}|{{ 'x' + 'y' }}|{{ \"dq 'sq'\" }}|{{ 'it\\'s' }}|{{ 'tab\\tnl\\nuni\\u00e9\\x41\\101\\\\' }}|{{ 'adj' 'acent' }}|{{ '\\d\\w' }}", ONE),
    ("comparisons", "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ 'B' < 'a' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' != 'a' }} {{ none == none }} {{ 2 >= 2 }} {{ 'user' in messages[0].role }} {{ 'role' in messages[0] }} {{ 'x' not in 'abc' }} {{ 2 in [1, 2] }} {{ (1, 2) == (1, 2) }} {{ [1] == (1,) }}", ONE),
    ("logic", "{{ true and 'yes' }}|{{ false or 'fallback' }}|{{ none or 0 or '' }}|{{ not none }}|{{ not 'x' }}|{{ 'a' if messages else 'b' }}|{{ 'c' if false }}|{{ 1 if false else 2 if false else 3 }}|{{ not 1 == 2 }}|{{ [] or {} or 'last' }}", ONE),
    ("literals-repr", "{{ [1, 'two', 3.0, none, true, false, ['n'], {'k': (1,)}] }}|{{ (1,) }}|{{ () }}|{{ {} }}|{{ ('a', \"b'c\", 'd\"e', 'f\\'g\"') }}|{{ ['tab\\t', 'nl\\n', 'é', 'ß', '\\u200b', '\\xa0', '\\x7f', '🙂'] }}|{{ {1: 'int key', 'b': 2} }}", ONE),
    ("slicing", "{{ messages[1:] | length }}|{{ messages[-1].role }}|{{ messages[:-1] | map(attribute='role') | join(',') }}|{% set s = messages[0].content %}{{ s[:5] }}|{{ s[-4:] }}|{{ s[::-1][:6] }}|{{ s[2:12:3] }}|{{ [0, 1, 2, 3, 4][::2] }}|{{ [0, 1, 2][5:] }}|{{ 'abc'[1] }}{{ 'abc'[-1] }}|{{ messages[10] is defined }}|{{ (1, 2, 3)[1:] }}"),
    ("attribute-vs-item", "{{ messages[0].role }}{{ messages[0]['role'] }}|{{ messages[0].missing is defined }}{{ messages[0]['missing'] is undefined }}|{{ messages.0.role }}|{{ {'items': 'x'}['items'] }}|{{ {'get': 'y'}.get('get') }}|{{ {'a': 1}.keys() | list }}{{ {'a': 1}.values() | list }}|{{ none.x is defined }}|{{ 3.real is defined }}", ONE),
    # filters
    ("filters-text", "{% for m in messages %}[{{ m.content | trim }}][{{ m.content | upper }}][{{ m.content | lower }}][{{ m.content | title }}][{{ m.content | capitalize }}][{{ m.content | length }}][{{ m.content | wordcount }}][{{ m.content | replace('a', '@') }}][{{ m.content | replace('a', '@', 1) }}][{{ m.content | trim('  U?') }}]{% endfor %}"),
    ("filters-seq", "{% set xs = [3, 1, 2, 1] %}{{ xs | first }}{{ xs | last }}{{ xs | length }}{{ xs | count }}{{ xs | sort }}{{ xs | sort(reverse=true) }}{{ xs | unique | list }}{{ xs | sum }}{{ xs | min }}{{ xs | max }}{{ xs | reverse | list }}{{ xs | join('-') }}{{ xs | list }}{{ 'abc' | list }}{{ xs | batch(3) | list }}{{ xs | batch(3, 0) | list }}{{ [] | first is defined }}", ONE),
    ("filters-map-select", "{{ messages | map(attribute='role') | list }}|{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | map('length') | list }}|{{ messages | rejectattr('role', 'eq', 'user') | list | length }}|{{ [1, 2, 3, 4] | select('even') | list }}|{{ [1, 2, 3, 4] | reject('odd') | list }}|{{ [0, 1, '', 'a', none] | select | list }}|{{ ['a', 'B'] | map('upper') | join }}|{{ messages | map(attribute='nope', default='?') | join }}|{{ [{'a': {'b': 1}}, {'a': {'b': 2}}] | map(attribute='a.b') | list }}|{{ [{'x': 2}, {'x': 1}] | sort(attribute='x') | map(attribute='x') | list }}|{{ ['b', 'A', 'c'] | sort }}|{{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}|{{ ['a', 'A', 'b'] | unique | list }}|{{ [3, 1] | max(attribute=none) }}|{{ messages | selectattr('role', 'in', ['user', 'system']) | list | length }}"),
    ("filters-dict", "{% set d = {'b': 1, 'A': 3, 'c': 2} %}{{ d | dictsort }}|{{ d | dictsort(true) }}|{{ d | dictsort(by='value') }}|{{ d | dictsort(reverse=true) }}|{{ d | items | list }}|{% for k, v in d | items %}{{ k }}{{ v }}{% endfor %}|{{ d | length }}|{{ d | list }}|{{ d | first }}|{{ undefined_name | items | list }}", ONE),
    ("filters-convert", "{{ '42' | int }}{{ 'x' | int }}{{ 'x' | int(7) }}{{ ' 1_0 ' | int }}{{ '3.7' | int }}{{ 3.9 | int }}{{ '0x1A' | int(base=16) }}{{ 'ff' | int(base=16) }}{{ none | int }}{{ '1e3' | int }}{{ true | int }}|{{ '2.5' | float }}{{ 'x' | float }}{{ 3 | float }}|{{ 2.5 | round }}{{ 3.5 | round }}{{ 3.14159 | round(2) }}{{ 2.7 | round(0, 'floor') }}{{ 2.1 | round(1, 'ceil') }}{{ -2.5 | abs }}{{ 42 | string }}{{ [1] | string }}{{ none | string }}|{{ 'abc' | reverse }}", ONE),
    ("filters-default", "{{ undefined_name | default('d') }}|{{ '' | default('d') }}|{{ '' | default('d', true) }}|{{ none | default('d') }}|{{ none | d('d', boolean=true) }}|{{ messages[0].nope | default(messages[0].role) }}|{{ undefined_name | default }}|{{ false | default('d', true) }}", ONE),
    ("filters-indent-truncate", "{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb\\n\\nc' | indent(2, true) }}|{{ 'a\\nb\\n\\nc' | indent(2, blank=true) }}|{{ 'a\\nb' | indent('> ') }}|{{ 'hello world foo bar baz' | truncate(9) }}|{{ 'hello world foo bar baz' | truncate(9, true) }}|{{ 'hello world foo bar baz' | truncate(12, false, '~', 0) }}|{{ 'short' | truncate(3, leeway=5) }}|{{ '<a href=\"x\">&\\'</a>' | e }}|{{ 'safe' | safe }}|{{ '%s is %d' | format('x', 3) }}", ONE),
    ("filters-tojson", "{% for m in messages %}{{ m | tojson }}{{ m.content | tojson }}{% endfor %}|{{ {'a': [1, 2.5, none, true, 'é\\u2028\\x01'], 'b': {}} | tojson(indent=2) }}|{{ {'b': 1, 'a': [] } | tojson(sort_keys=true) }}|{{ [1, {'x': 'y'}] | tojson(separators=(',', ':')) }}|{{ {'k': 'ü'} | tojson(ensure_ascii=true) }}|{{ 'x' | tojson(indent='\\t') }}|{{ {'a': [1]} | tojson(indent=0) }}|{{ 1e16 | tojson }}{{ 0.1 | tojson }}{{ -0.0 | tojson }}"),
    # tests
    ("tests", "{% set vals = [none, true, 0, 1.5, 'str', [1], {'k': 1}, (1,), undefined_name] %}{% for v in vals %}{{ v is defined }}{{ v is undefined }}{{ v is none }}{{ v is boolean }}{{ v is true }}{{ v is false }}{{ v is integer }}{{ v is float }}{{ v is number }}{{ v is string }}{{ v is mapping }}{{ v is sequence }}{{ v is iterable }}{{ v is callable }};{% endfor %}", ONE),
    ("tests-args", "{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ 'aB' is lower }}{{ 2 is in [1, 2] }}{{ 'x' is in 'xyz' }}{{ 1 is eq 1 }}{{ 1 is ne 1 }}{{ 2 is gt 1 }}{{ 2 is ge 3 }}{{ 1 is lt 2 }}{{ 1 is le 0 }}{{ 1 is equalto 1 }}{{ 2 is greaterthan 1 }}{{ 1 is lessthan 1 }}{{ none is sameas none }}{{ 'upper' is filter }}{{ 'odd' is test }}{{ 'x' is not string }}{{ undefined_name is not defined }}{{ raise_exception is callable }}{{ messages[0].get is callable }}", ONE),
    # methods
    ("string-methods", "{% set s = '  Hello, World! hello  ' %}{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip(' Hd') }}|{{ s.split() }}|{{ s.split(',') }}|{{ s.split(' ', 2) }}|{{ s.rsplit(None, 1) }}|{{ s.upper() }}|{{ s.lower() }}|{{ s.title() }}|{{ s.capitalize() }}|{{ s.replace('l', 'L', 2) }}|{{ s.startswith('  He') }}|{{ s.startswith(('x', '  ')) }}|{{ s.endswith('o  ') }}|{{ s.find('o') }}|{{ s.rfind('o') }}|{{ s.find('zz') }}|{{ s.count('l') }}|{{ '-'.join(['a', 'b']) }}|{{ 'a\\nb\\r\\nc'.splitlines() }}|{{ 'x'.zfill(3) }}|{{ 'ab'.center(6, '*') }}|{{ 'ab'.ljust(4, '.') }}|{{ 'ab'.rjust(4) }}|{{ '12'.isdigit() }}{{ 'ab'.isalpha() }}{{ '  '.isspace() }}{{ 'AB'.isupper() }}{{ 'ab'.islower() }}|{{ 'prefix-x'.removeprefix('prefix-') }}|{{ 'a=b=c'.partition('=') }}|{{ 'a=b=c'.rpartition('=') }}|{{ 'aXbXc'.split('X', 1) }}|{{ 'ß'.upper() }}{{ 'İ'.lower() | length }}|{{ 'Σίσυφος'.upper() }}"),
    ("dict-list-methods", "{% set d = {'a': 1, 'b': none} %}{{ d.get('a') }}{{ d.get('z') }}{{ d.get('z', 'dflt') }}{{ d.get('b', 'x') }}|{% for k in d.keys() %}{{ k }}{% endfor %}|{% for v in d.values() %}{{ v }}{% endfor %}|{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}|{{ [1, 2, 1].count(1) }}{{ [1, 2, 1].index(2) }}|{{ messages[0].get('role') }}", ONE),
    # globals
    ("globals", "{{ range(3) | list }}{{ range(1, 7, 2) | list }}{{ range(5, 0, -2) | list }}|{{ dict(a=1, b='x') }}|{{ namespace(x=1).x }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%A %B %j %I%p %y %e|%%') }}", ONE),
    ("generation-tag", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.role }}{% endif %}{% endfor %}"),
    ("tools-none", "{{ tools is none }}{{ tools is defined }}{{ documents }}{{ add_generation_prompt }}{{ bos_token }}{{ eos_token }}{{ unk_token is defined }}", ONE),
    ("str-format", "{{ '{} and {}'.format('a', 1) }}|{{ '{0}{1}{0}'.format('x', 'y') }}|{{ '{name}: {n:>5}|{n:<4}|{n:^7}|{n:05d}|{f:.2f}|{f:e}|{s!r}|{big:,}|{neg:+d}|{h:x}'.format(name='k', n=42, f=3.14159, s='q', big=1234567, neg=-3, h=255) }}|{{ '{{literal}} {}'.format(messages | length) }}|{{ '{0[role]}/{0[content]:.4}'.format(messages[0]) }}|{{ '{:%}'.format(0.25) }}|{{ '{:*^9}'.format('mid') }}|{{ '{}'.format(none) }}{{ '{}'.format(1.0) }}{{ '{}'.format([1, 'a']) }}", ONE),
    ("markup", "{{ ('<b>' | safe) + '<i>' }}|{{ '<i>' + ('<b>' | safe) }}|{{ ('<b>' | safe) ~ '<i>' }}|{{ '<&>' | e }}|{{ ('<' | e) + '>' }}|{{ ('x' | safe) is string }}{{ ('x' | safe) is escaped }}{{ 'x' is escaped }}|{{ ('a' | safe) == 'a' }}|{{ ('a' | safe) | length }}|{{ ('<b>' | safe) | upper }}|{{ (('\"q\"' | safe) + messages[0].role + ('!' | safe)) }}|{{ ('<b>' | safe) * 2 }}|{{ ['<x>' | safe] }}", ONE),
    ("generators", "{{ (messages | selectattr('role', 'eq', 'nobody')) is iterable }}{{ (messages | select) is sequence }}{{ 'yes' if messages | selectattr('role', 'eq', 'nobody') else 'no' }}|{% set g = messages | map(attribute='role') %}{{ g | first }}|{{ g | list }}|{{ g | list }}|{{ [1, 2] | reverse | list }}|{{ 'x' in (['x'] | select) }}|{{ none | select | list }}|{{ none | map('upper') | list }}|{{ [3, 1, 3] | unique | list }}|{{ {'a': 1} | items | list }}|{{ messages | map(attribute='role') | join('+') }}|{{ (messages | map(attribute='role') | list)[-1] }}|{% for r in messages | map(attribute='role') %}{{ loop.index }}{{ r[0] }}{% endfor %}", ONE),
    ("numbers-attrs", "{{ 3.real }}{{ 3.imag }}{{ 2.5.real }}{{ true.real }}{{ 3.numerator }}{{ 3.denominator }}|{{ 10 | string | length }}", ONE),
    # errors: each render fails in transformers too
    ("error-raise", "{% if messages | length > 1 %}{{ raise_exception('Too many messages: ' ~ messages | length) }}{% endif %}ok"),
    ("error-unknown-filter", "{% if false %}{{ 'x' | frobnicate }}{% endif %}never", ONE),
    ("error-unknown-test", "{{ 1 is frobnicated }}", ONE),
    ("error-unknown-tag", "{% frob %}", ONE),
    ("error-unclosed", "{% for m in messages %}{{ m.role }}", ONE),
    ("error-syntax", "{{ 1 + }}", ONE),
    ("error-undefined-attr", "{{ undefined_name.attr }}", ONE),
    ("error-undefined-arith", "{{ messages[0].nope + 1 }}", ONE),
    ("error-type", "{{ 'a' + 1 }}", ONE),
    ("error-zero-division", "{{ 1 // 0 }}", ONE),
    ("error-unpack", "{% for a, b in [1] %}{% endfor %}", ONE),
    ("error-macro-args", "{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, 2) }}", ONE),
    ("error-tojson-undefined", "{{ undefined_name | tojson }}", ONE),
    ("error-not-iterable", "{% for x in 3 %}{% endfor %}", ONE),
    ("error-namespace-underscore", "{% set ns = namespace() %}{% set ns._x = 1 %}", ONE),
    ("error-empty-if-else", "{{ ('a' if false).upper() }}", ONE),
    ("error-generator-length", "{{ messages | select | length }}", ONE),
    ("error-generator-tojson", "{{ messages | map(attribute='role') | tojson }}", ONE),
    ("error-unknown-filter-in-loop", "{% if true %}{% for m in messages %}{{ m | frobnicate }}{% endfor %}{% endif %}", ONE),
    ("error-unknown-filter-runtime", "{% if true %}{{ 'x' | frobnicate }}{% endif %}", ONE),
    ("error-str-plus-none", "{{ messages[0].content + none }}", ONE),
]
