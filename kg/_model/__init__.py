"""The files the package ships: the model (``ontology/``), the saved queries (``queries/``) and the
example region's data (``data/``, with its ``kg.toml``).

They live in the repository's top-level folders; ``pyproject.toml`` maps them into this package
(``kg._model.data``, ``kg._model.ontology``, ``kg._model.queries``) when a wheel or an editable
install is built.  Read them through :mod:`kg.resources`.
"""
