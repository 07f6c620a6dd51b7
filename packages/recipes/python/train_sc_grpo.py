"""SC-GRPO with TRL's GRPOTrainer, as iad-r1-recipes writes it.

Reads trl_config.json beside this file (GRPOConfig's arguments and the model), the rows in
data/sc_grpo.jsonl (conversational prompt with one {"type": "image"} part per image, image paths,
the SC-GRPO `solution`), and scores completions with the iad-r1 reward server through
iad_r1_rewards.py. Needs: GPUs, `pip install trl[vllm] deepspeed`, the reward server running.

Run `bash vllm-server.sh` (TRL's vLLM server on the first GPU), then `bash train.sh` (the others).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def read_settings(path=os.path.join(HERE, "trl_config.json")):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_rows(path):
    """The JSONL rows, each checked for the columns GRPOTrainer and the rewards read."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            for key in ("prompt", "images", "solution"):
                if key not in row:
                    raise ValueError(f"{path}:{number}: field {key} is missing")
            rows.append(row)
    return rows


def training_dataset(rows):
    """A datasets.Dataset whose `images` column decodes to PIL images.

    TRL's vLLM generation path calls PIL methods on each image; paths left as strings fail there
    ('str' object has no attribute 'save'). Casting the column to datasets' Image feature keeps the
    paths on disk and opens them lazily as PIL images when a batch is drawn.
    """
    import datasets

    image_list = datasets.List(datasets.Image()) if hasattr(datasets, "List") else datasets.Sequence(datasets.Image())
    return datasets.Dataset.from_list(rows).cast_column("images", image_list)


def main():
    from trl import GRPOConfig, GRPOTrainer
    import iad_r1_rewards

    settings = read_settings()
    dataset = training_dataset(read_rows(os.path.join(HERE, settings["train_file"])))
    processing_class = None
    if settings.get("processor_kwargs"):
        from transformers import AutoProcessor

        processing_class = AutoProcessor.from_pretrained(settings["model"], **settings["processor_kwargs"])
    trainer = GRPOTrainer(
        model=settings["model"],
        reward_funcs=iad_r1_rewards.trl_reward_funcs(),
        # The server's component weights, so TRL's weighted sum of the components is the server's total.
        args=GRPOConfig(**settings["grpo_config"], reward_weights=iad_r1_rewards.trl_reward_weights()),
        train_dataset=dataset,
        processing_class=processing_class,
    )
    trainer.train()
    trainer.save_model(settings["grpo_config"]["output_dir"])


if __name__ == "__main__":
    main()
