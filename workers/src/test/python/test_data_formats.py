from trainyard_trainer.data import sft_pairs


def test_a_sharegpt_conversation_trains_exactly_like_the_same_openai_messages():
    openai = {"messages": [{"role": "system", "content": "be brief"},
                           {"role": "user", "content": "2+2?"},
                           {"role": "assistant", "content": "4"}], "_where": "a.jsonl:1"}
    sharegpt = {"conversations": [{"from": "system", "value": "be brief"},
                                  {"from": "human", "value": "2+2?"},
                                  {"from": "gpt", "value": "4"}], "_where": "b.jsonl:1"}
    (a,), (b,) = sft_pairs([openai]), sft_pairs([sharegpt])
    assert a == b
    # The assistant's answer is the one trained segment.
    assert [trained for _, trained in a].count(True) == 1


def test_config_subset_picks_a_file_or_folder_of_a_plain_dataset_directory_and_refuses_others(tmp_path):
    """A registered dataset directory has no trainyard-datasets.json: its subset is a file or folder of
    it (it used to be ignored, so every file was read whatever subset was named)."""
    import pytest
    from trainyard_trainer import data as D
    (tmp_path / "docs").mkdir()
    (tmp_path / "a.txt").write_text("first\n")
    (tmp_path / "docs" / "b.txt").write_text("second\n")
    (tmp_path / "docs" / "c.jsonl").write_text('{"text": "third"}\n')
    root = str(tmp_path.resolve())
    assert D.resolve_files(str(tmp_path)) == [f"{root}/a.txt", f"{root}/docs/b.txt", f"{root}/docs/c.jsonl"]
    assert D.resolve_files(str(tmp_path), "a.txt") == [f"{root}/a.txt"]
    assert D.resolve_files(str(tmp_path), "docs") == [f"{root}/docs/b.txt", f"{root}/docs/c.jsonl"]
    with pytest.raises(D.DataError, match=r"no file or folder 'task_b.txt' \(config.subset\); it has a.txt, docs/b.txt"):
        D.resolve_files(str(tmp_path), "task_b.txt")
    with pytest.raises(D.DataError, match="no file or folder '../etc'"):
        D.resolve_files(str(tmp_path), "../etc")
