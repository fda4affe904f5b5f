"""Training configurations: `full` makes the committed family, `tiny` is CI's smoke run."""

FULL = {
    "seed": 20261125,
    "latent_channels": 8,
    "max_length": 32,
    "text_dim": 128,
    "data": {"base_scenes": 24000, "relay_scenes": 8000, "relay256_scenes": 1500},
    "vae": {"steps": 2000, "batch": 16, "crop": 64, "lr": 1e-3, "enc": [24, 48, 96, 128], "dec": [128, 96, 48, 24]},
    "base": {"steps": 4500, "batch": 64, "lr": 2e-3, "dim": 128, "depth": 5, "heads": 4},
    "relay": {"steps": 9000, "batch": 32, "lr": 1e-3, "width": 64, "crop256": 0.25},
    "relay_tune": {"steps": 5000, "batch": 32, "lr": 3e-4, "crop256": 0.25, "scenes": 8000, "scenes256": 1500, "hard_share": 0.5},
    "single": {"steps": 2838, "batch": 32, "lr": 1.5e-3, "scenes": 16000},
    "distill_base": {"teacher_steps": 32, "student_steps": 4, "steps_per_round": 300, "batch": 32, "lr": 5e-4, "w": [2.0, 6.0]},
    "distill_relay": {"teacher_steps": 8, "student_steps": 1, "steps_per_round": 250, "batch": 32, "lr": 5e-4, "w": [1.0, 4.0]},
    "sampler": {"base_steps": 32, "base_guidance": 4.0, "relay_steps": 10, "relay_guidance": 4.0,
                "distilled_base_steps": 4, "distilled_relay_steps": 1},
    "scorer": {"scenes": 12000, "steps": 2500, "batch": 64, "lr": 2e-3, "widths": [16, 32, 48, 96]},
    "ema": 0.999,
    "caption_dropout": 0.1,
}

TINY = {
    **FULL,
    "latent_channels": 4,
    "data": {"base_scenes": 64, "relay_scenes": 32, "relay256_scenes": 8},
    "vae": {**FULL["vae"], "steps": 3, "batch": 4, "enc": [8, 8, 16, 16], "dec": [16, 16, 8, 8]},
    "base": {**FULL["base"], "steps": 3, "batch": 4, "dim": 32, "depth": 1, "heads": 2},
    "relay": {**FULL["relay"], "steps": 3, "batch": 4, "width": 16},
    "relay_tune": {**FULL["relay_tune"], "steps": 3, "batch": 4, "scenes": 16, "scenes256": 4},
    "single": {**FULL["single"], "steps": 3, "batch": 4, "scenes": 16},
    "distill_base": {**FULL["distill_base"], "steps_per_round": 2, "batch": 2},
    "distill_relay": {**FULL["distill_relay"], "steps_per_round": 2, "batch": 2},
    "scorer": {**FULL["scorer"], "scenes": 16, "steps": 3, "batch": 4, "widths": [8, 8, 8, 8]},
    "text_dim": 32,
}
