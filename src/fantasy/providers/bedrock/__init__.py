"""AWS Bedrock: Claude models through the Anthropic Messages API dialect.

from fantasy.providers import bedrock
provider = bedrock.Provider(region="us-east-1")
model = provider.language_model("us.anthropic.claude-sonnet-4-5-20250929-v1:0")

Options, tools and metadata are the Anthropic provider's (`fantasy.providers.anthropic`).
"""

from fantasy.providers.bedrock.provider import BEARER_TOKEN_ENV, NAME, Provider

__all__ = ["BEARER_TOKEN_ENV", "NAME", "Provider"]
