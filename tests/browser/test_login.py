"""The explorer page with authentication on: it asks for a key, logs in with it, and
the analyst's session then works like the demo's (personal data never shown)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from api.app import create_app
from api.auth import UserStore
from graph.backends.embedded import EmbeddedStore
from graph.settings import Settings
from tests.browser.chrome import Server, outside, requested_urls, wait_for
from tests.browser.graphs import VALLEY, screenshot_dir


@pytest.fixture(scope="module")
def secured(browser_ready: None, demo_store: tuple[EmbeddedStore, str],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    home: Path = tmp_path_factory.mktemp("auth-home")
    key = UserStore(home).add("赵分析", "analyst")
    app = create_app(Settings(INNOGRAPH_HOME=str(home), INNOGRAPH_AUTH=True),
                     store=demo_store[0])
    with Server(app) as srv:
        yield srv, key


def test_the_page_asks_for_a_key_and_then_works(browser: Any,
                                                secured: tuple[Server, str]) -> None:
    server, key = secured
    browser.get(server.url + "/")
    wait_for(browser, "document.getElementById('login-form').hidden === false")
    box = browser.find_element(By.ID, "login-key")
    box.send_keys("igk_wrong")
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_for(browser, "document.getElementById('login-error').textContent.length > 0")
    assert "无效" in browser.find_element(By.ID, "login-error").text
    box = browser.find_element(By.ID, "login-key")
    box.clear()
    box.send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait_for(browser, "document.body.getAttribute('data-ready') === '1' && "
                      "document.getElementById('who').textContent.indexOf('赵分析') >= 0")
    assert browser.find_element(By.ID, "login-form").get_attribute("hidden") is not None
    assert "分析员" in browser.find_element(By.ID, "who").text
    q = browser.find_element(By.ID, "search-q")
    q.send_keys(VALLEY)
    browser.find_element(By.CSS_SELECTOR, "#search-form button").click()
    wait_for(browser, "document.querySelectorAll('#search-results li[data-uid]').length > 0")
    browser.save_screenshot(str(screenshot_dir() / "explorer-login.png"))
    assert outside(requested_urls(browser)) == []
