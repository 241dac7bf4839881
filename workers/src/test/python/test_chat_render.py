"""The tokenize step's chat renderer: Hugging Face's template environment, assistant spans from offsets."""

import json
import os

import pytest

from trainyard_trainer import chat_render
from trainyard_trainer.tokenizer import ByteTokenizer

CONVERSATION = {"messages": [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "2+2?"},
    {"role": "assistant", "content": "4"},
    {"role": "user", "content": "and 3+3?"},
    {"role": "assistant", "content": "6, of course"},
]}


def write_tokenizer(directory, template=None):
    os.makedirs(directory, exist_ok=True)
    ByteTokenizer().save(str(directory))
    if template is not None:
        path = os.path.join(directory, "tokenizer_config.json")
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
        config["chat_template"] = template
        with open(path, "w", encoding="utf-8") as f:
            json.dump(config, f)
    return str(directory)


def render(tmp_path, records, template=None):
    tok = write_tokenizer(tmp_path / "tok", template) if not (tmp_path / "tok").exists() else str(tmp_path / "tok")
    data = tmp_path / "chats.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" if not isinstance(r, str) else r for r in records),
                    encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code = chat_render.main(["--tokenizer", tok, "--root", str(tmp_path), "--out", str(out), str(data)])
    return code, [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if code == 0 else []


def test_the_byte_tokenizers_template_marks_each_assistant_content_and_its_eos(tmp_path):
    code, [doc] = render(tmp_path, [CONVERSATION])
    assert code == 0
    assert doc["where"] == "chats.jsonl:1"
    assert doc["text"] == "<|bos|><|system|>Be brief.<|user|>2+2?<|assistant|>4<|eos|><|user|>and 3+3?" \
                          "<|assistant|>6, of course<|eos|>"
    assert [doc["text"][s:e] for s, e in doc["spans"]] == ["4<|eos|>", "6, of course<|eos|>"]


# What the real Llama 3.1 / Qwen 3 templates rely on, in a small template of the same shape.
HF_FEATURES = (
    "{%- set ns = namespace(last_user=-1) %}"
    "{%- for m in messages[::-1] %}{%- if ns.last_user < 0 and m.role == 'user' %}"
    "{%- set ns.last_user = (messages|length - 1) - loop.index0 %}{%- endif %}{%- endfor %}"
    "{{ bos_token }}"
    "{%- for m in messages %}"
    "{%- if m.role == 'user' %}<|user|>{{ m.content }}"
    "{%- elif m.role == 'assistant' %}<|assistant|>"
    "{%- if '</think>' in m.content and loop.index0 < ns.last_user %}{{ m.content.split('</think>')[-1].lstrip() }}"
    "{%- else %}{{ m.content }}{%- endif %}{{ eos_token }}"
    "{%- elif m.role == 'system' %}{%- if not m.content.startswith('#') %}"
    "{{ raise_exception('system prompts start with #') }}{%- endif %}<|system|>{{ m.content | tojson }}"
    "{%- endif %}{%- endfor %}"
)


def test_namespace_reversed_slices_split_startswith_and_tojson_render_as_in_transformers(tmp_path):
    record = {"messages": [
        {"role": "system", "content": "# rules"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "<think>hmm</think> hello"},
        {"role": "user", "content": "again"},
        {"role": "assistant", "content": "<think>ok</think> bye"},
    ]}
    code, [doc] = render(tmp_path, [record], HF_FEATURES)
    assert code == 0
    assert doc["text"] == ('<|bos|><|system|>"# rules"<|user|>hi<|assistant|>hello<|eos|><|user|>again'
                           '<|assistant|><think>ok</think> bye<|eos|>')
    assert [doc["text"][s:e] for s, e in doc["spans"]] == ["hello<|eos|>", "<think>ok</think> bye<|eos|>"]


def test_a_template_that_raises_fails_with_the_records_file_and_line(tmp_path, capsys):
    bad = {"messages": [{"role": "system", "content": "no hash"}, {"role": "user", "content": "x"}]}
    ok = {"messages": [{"role": "system", "content": "# fine"}, {"role": "user", "content": "x"}]}
    code, _ = render(tmp_path, [ok, "\n", bad], HF_FEATURES)
    assert code == 2
    assert capsys.readouterr().err.strip() == "chats.jsonl:3: system prompts start with #"


def test_a_message_without_string_content_is_refused_with_its_path(tmp_path, capsys):
    code, _ = render(tmp_path, [CONVERSATION, {"messages": [{"role": "user", "content": 5}]}])
    assert code == 2
    assert "chats.jsonl:2: messages[0] needs a string 'role' and a string 'content'" in capsys.readouterr().err


def test_the_sandbox_refuses_what_a_template_must_not_reach(tmp_path, capsys):
    # ImmutableSandboxedEnvironment: no attribute walk to Python internals, no mutation of inputs.
    for n, template in enumerate(("{{ messages.__class__.__mro__ }}", "{{ messages.append(1) }}")):
        (tmp_path / str(n)).mkdir()
        code, _ = render(tmp_path / str(n), [CONVERSATION], template)
        assert code == 2
        assert "tokenizer_config.json: the chat template fails" in capsys.readouterr().err
