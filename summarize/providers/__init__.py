"""Model providers that need more than a base URL. The core never imports this package
(an import-linter contract in pyproject.toml says so); the CLI and library users do."""
