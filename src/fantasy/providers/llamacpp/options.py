"""Options and metadata of local llama.cpp models: Fantasy's ``kronk`` types, which
live in `fantasy.providers.kronk` so that loading a saved ``kronk.*`` type id finds
them where the registry's convention looks (see that module)."""

from fantasy.providers.kronk import (
    FANTASY_NAME,
    NAME,
    TYPE_PROVIDER_METADATA,
    TYPE_PROVIDER_OPTIONS,
    UNSUPPORTED_OPTIONS,
    ProviderMetadata,
    ProviderOptions,
)

__all__ = [
    "FANTASY_NAME",
    "NAME",
    "TYPE_PROVIDER_METADATA",
    "TYPE_PROVIDER_OPTIONS",
    "UNSUPPORTED_OPTIONS",
    "ProviderMetadata",
    "ProviderOptions",
]
