"""The `privacy-assistant` program: the one place that puts the library, the HTTP layer and the evals together.

The dependencies run one way, `evals` -> `api` -> `assistant` (tests/test_layering.py holds them);
this package sits on top and imports all three, so none of them has to import another upwards."""
