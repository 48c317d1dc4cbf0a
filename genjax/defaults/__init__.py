"""Family defaults: one module per model family (`vae`, `gan`, `vaegan`, `classifier`,
`seq_vae`, as config.model.name), each a `get_config()` holding every field its family reads,
with a comment on each, built on `shared.py` (the sections every family reads: run loop,
devices, data, optimizer, picture grids). They are the one listing of the fields: each family
module's `spec_of` is `genjax.schema.derive` of its default, and `genjax.families.build` checks
every config against it.

A shipped config (configs/*.py) starts from exactly one of these and sets its recipe
explicitly. The values here are the shared run-loop and optimizer defaults and each family's
reference networks and objective, with situational options (instance noise, evaluators that
fit one dataset) off: they are not a recipe of their own. Not shipped configs themselves
(tests/test_config_checksums.py covers configs/*.py only), but each passes the config
checks (genjax.train.check_config and its family's check).
"""
