"""Fantasy's name for in-process llama.cpp models: where ``kronk.*`` type ids lead.

A conversation saved by a Go program names its local-model options and metadata
``kronk.options`` and ``kronk.metadata``; loading finds a type id's classes in the
provider package its prefix names, so this module makes them those of
`fantasy.providers.llamacpp` (it imports no llama.cpp: only the dataclasses).
"""

from fantasy.providers.llamacpp.options import ProviderMetadata, ProviderOptions

__all__ = ["ProviderMetadata", "ProviderOptions"]
