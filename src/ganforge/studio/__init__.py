"""``ganforge studio``: a local web page to browse runs, generate digits and compare models.

The app (:mod:`.app`) is Starlette on uvicorn with one static page of plain JavaScript
(``static/``). Everything it reads lies under one runs folder, named by paths relative to it
and checked against it (:mod:`.paths`); generators come from the run's safetensors
checkpoints through :func:`ganforge.generation.load_model` and stay in a bounded cache
(:mod:`.cache`).
"""
