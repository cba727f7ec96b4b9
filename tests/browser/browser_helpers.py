"""Small helpers shared by the browser tests."""


def wait_for_url_part(page, text: str) -> None:
    """Wait until the address bar holds ``text``: Dash updates it after the callback returns."""
    page.wait_for_function("t => window.location.href.includes(t)", arg=text, timeout=10_000)
    assert text in page.url
