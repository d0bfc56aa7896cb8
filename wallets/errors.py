"""The errors OpenID4VCI 1.0 and OAuth 2.0 (RFC 6749 section 5.2) define, as the wallet reads them:
``{"error": code, "error_description": text}`` with the status the spec gives."""

from __future__ import annotations


class WalletError(Exception):
    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}
