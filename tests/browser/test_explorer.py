"""The explorer page in headless Chromium: search, neighbourhood, expansion, paths, match,
recommendations and gaps, with screenshots, a clean console and no request off the machine.

The steps share one page, in order, as an analyst would use it.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.browser.chrome import Server, console_errors, outside, requested_urls, wait_for
from tests.browser.graphs import VALLEY, screenshot_dir

# 404s the page handles on purpose (a colleague's route not deployed yet) are not errors
OPTIONAL = ("/match", "/gaps/")


@pytest.fixture(scope="module")
def page(browser: Any, server: Server) -> Any:
    """The explorer, loaded and ready; the logs are checked when the module ends."""
    browser.get(server.url + "/")
    wait_for(browser, "document.body.getAttribute('data-ready') === '1'")
    yield browser
    urls = requested_urls(browser)
    assert urls, "the performance log recorded no request"
    assert outside(urls) == [], f"requests left the machine: {outside(urls)}"


def shot(driver: Any, name: str) -> None:
    driver.save_screenshot(str(screenshot_dir() / f"explorer-{name}.png"))


def text_of(driver: Any, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def drawn(driver: Any) -> None:
    wait_for(driver, "document.getElementById('network').getAttribute('data-drawn') === '1'")


def test_search_opens_the_neighbourhood(page: Any) -> None:
    box = page.find_element(By.ID, "search-q")
    box.clear()
    box.send_keys(VALLEY)
    page.find_element(By.CSS_SELECTOR, "#search-form button").click()
    wait_for(page, "document.querySelectorAll('#search-results li[data-uid]').length > 0")
    hits = page.find_elements(By.CSS_SELECTOR, "#search-results li[data-uid]")
    exact = [h for h in hits if h.text.endswith(VALLEY)]
    assert exact, [h.text for h in hits]
    exact[0].click()
    drawn(page)
    wait_for(page, "document.querySelector('#details h3') !== null")
    assert text_of(page, "#details h3") == VALLEY
    assert VALLEY in text_of(page, "#view-title")
    count = page.execute_script("return window.explorer.nodes.length")
    assert count > 1
    assert "区域" in text_of(page, "#legend")
    shot(page, "1-search-ego")


def test_double_click_expands_a_neighbour(page: Any) -> None:
    before = page.execute_script("return window.explorer.nodes.length")
    # the neighbour with the most relationships in the whole graph grows the picture most
    target = page.execute_script("""
        var ex = window.explorer, centre = ex.selected.uid, best = null;
        ex.nodes.forEach(function (n) {
          if (n.id !== centre && (!best || n.size > best.size)) best = n;
        });
        var p = ex.network.canvasToDOM(ex.network.getPositions([best.id])[best.id]);
        return {id: best.id, x: p.x, y: p.y};""")
    canvas = page.find_element(By.CSS_SELECTOR, "#network canvas")
    size = canvas.size
    ActionChains(page).move_to_element_with_offset(
        canvas, int(target["x"] - size["width"] / 2), int(target["y"] - size["height"] / 2)
    ).double_click().perform()
    wait_for(page, f"window.explorer.nodes.length > {before}"
                   " || document.getElementById('status').textContent.indexOf('新增 0') >= 0",
             timeout=20)
    assert "新增" in text_of(page, "#status")
    legible_after_expanding(page)
    shot(page, "2-expanded")
    # and once more, from one of the newcomers
    before = page.execute_script("return window.explorer.nodes.length")
    page.execute_script("""
        var ex = window.explorer, seen = ex.selected.uid, pick = null;
        ex.nodes.forEach(function (n) {
          if (n.id !== seen && String(n.id).indexOf(':') > 0 && n.group !== 'Region'
              && (!pick || n.size > pick.size)) pick = n;
        });
        ex.network.body.emitter.emit('doubleClick', {nodes: [pick.id], edges: []});""")
    wait_for(page, f"window.explorer.nodes.length > {before}"
                   " || document.getElementById('status').textContent.indexOf('新增 0') >= 0",
             timeout=20)
    wait_for(page, "document.getElementById('status').textContent.indexOf('新增') >= 0")
    legible_after_expanding(page)
    shot(page, "2b-expanded-twice")


LABEL_OVERLAP_SHARE = 0.25
"""At most this share of the drawn labels may overlap another label after expanding."""


def legible_after_expanding(page: Any) -> None:
    """Every node is drawn with its kind's shape (the newcomers too), the count line
    says how many there are now, and few labels overlap."""
    checks = page.execute_script("""
        var ex = window.explorer, wrong = [], boxes = [];
        ex.nodes.forEach(function (n) {
          var body = ex.network.body.nodes[n.id];
          var want = (n.shape) || (ex.groups[n.group] || {}).shape;
          if (body && want && body.options.shape !== want) {
            wrong.push([n.id, body.options.shape, want]);
          }
          if (body && body.labelModule && body.labelModule.size) {
            var s = body.labelModule.size;
            if (s.width > 0) boxes.push([s.left, s.top, s.left + s.width, s.top + s.height]);
          }
        });
        var overlapping = 0;
        for (var i = 0; i < boxes.length; i++) {
          for (var j = 0; j < boxes.length; j++) {
            if (i === j) continue;
            var a = boxes[i], b = boxes[j];
            var w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
            var h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
            if (w > 2 && h > 2) { overlapping++; break; }
          }
        }
        return {wrong: wrong, count: document.getElementById('view-count').textContent,
                nodes: ex.nodes.length, edges: ex.edges.length, labels: boxes.length,
                overlapping: overlapping};""")
    assert checks["wrong"] == [], checks["wrong"][:5]
    assert f"节点 {checks['nodes']} 个,关系 {checks['edges']} 条" in checks["count"], checks
    assert checks["labels"] > 0
    assert checks["overlapping"] <= LABEL_OVERLAP_SHARE * checks["labels"], checks


def test_path_finder(page: Any, demo_store: Any) -> None:
    page.find_element(By.CSS_SELECTOR, "#tabs button[data-tab=paths]").click()
    a, b = page.find_element(By.ID, "path-a"), page.find_element(By.ID, "path-b")
    a.clear()
    a.send_keys("山东农业大学")
    b.clear()
    b.send_keys(VALLEY)
    page.find_element(By.CSS_SELECTOR, "#path-form button").click()
    # the valley is a district: only a shared location joins them, which is not a tie
    wait_for(page, "(document.querySelector('#path-results .notice') || {}).textContent"
                   " && document.querySelector('#path-results .notice').textContent"
                   ".indexOf('只经主体之间的关联') >= 0", timeout=30)
    page.find_element(By.ID, "path-hubs").click()
    page.find_element(By.CSS_SELECTOR, "#path-form button").click()
    wait_for(page, "document.querySelectorAll('#path-results .sentence').length > 0", timeout=30)
    first = page.find_elements(By.CSS_SELECTOR, "#path-results .sentence")[0].text
    assert first.startswith("1. 山东农业大学") and VALLEY in first
    wait_for(page, "document.getElementById('view-title').textContent.indexOf('关系路径') >= 0")
    drawn(page)
    shot(page, "3-paths")


def test_match(page: Any) -> None:
    page.find_element(By.CSS_SELECTOR, "#tabs button[data-tab=match]").click()
    has_route = page.execute_script(
        "return !!(window.explorer.openapi.paths['/match'] || {}).post")
    if not has_route:
        assert "尚未上线" in text_of(page, "#match-results")
        shot(page, "4-match-missing")
        return
    # candidate kinds are checkboxes named in Chinese, the firm is asked for by name
    kinds = text_of(page, "#match-form .choices")
    assert "团队" in kinds and "科研院所" in kinds and "team" not in kinds
    assert "名称或标识" in text_of(page, "#match-form")
    page.find_element(By.CSS_SELECTOR, "#match-form input[data-choice=kinds][value=team]").click()
    text = page.find_element(By.CSS_SELECTOR, "#match-form [name=text]")
    text.send_keys("研发下肢外骨骼康复机器人,需要步态识别与康复评估方面的技术团队")
    page.find_element(By.CSS_SELECTOR, "#match-form button[type=submit]").click()
    wait_for(page, "document.querySelector('#match-results table, #match-results .notice')",
             timeout=60)
    rows = page.find_elements(By.CSS_SELECTOR, "#match-results tbody tr")
    assert rows, text_of(page, "#match-results")
    assert "得分" in text_of(page, "#match-results thead")
    shot(page, "4-match")


def test_match_by_firm_name(page: Any) -> None:
    if not page.execute_script("return !!(window.explorer.openapi.paths['/match'] || {}).post"):
        pytest.skip("no /match route on this server")
    firm = page.execute_script("""
        return fetch('/search?q=' + encodeURIComponent('科技有限公司') + '&label=Enterprise'
                     + '&limit=50').then(function (r) { return r.json(); });""")
    assert firm, "the demo graph has enterprises"
    form = "#match-form"
    page.execute_script("""
        var f = document.querySelector(arguments[0]);
        f.querySelector('[name=text]').value = '';
        Array.prototype.forEach.call(f.querySelectorAll('input[data-choice]'),
                                     function (b) { b.checked = false; });""", form)
    box = page.find_element(By.CSS_SELECTOR, f"{form} [name=enterprise]")
    box.clear()
    box.send_keys(firm[0]["node"]["name"])
    text = page.find_element(By.CSS_SELECTOR, f"{form} [name=text]")
    text.send_keys("康复辅助器具")
    page.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()
    wait_for(page, "document.querySelector('#match-results table, #match-results .notice')",
             timeout=60)
    assert page.find_elements(By.CSS_SELECTOR, "#match-results tbody tr"), \
        text_of(page, "#match-results")
    shot(page, "4b-match-by-firm-name")


def test_recommendations_with_download(page: Any) -> None:
    hits = page.execute_script("""
        return fetch('/search?q=' + encodeURIComponent('山东农业大学') + '&limit=1')
          .then(function (r) { return r.json(); });""")
    page.find_element(By.CSS_SELECTOR, "#tabs button[data-tab=search]").click()
    page.execute_script("document.getElementById('search-q').value = arguments[0];",
                        hits[0]["node"]["name"])
    page.find_element(By.CSS_SELECTOR, "#search-form button").click()
    wait_for(page, "document.querySelectorAll('#search-results li[data-uid]').length > 0")
    page.find_elements(By.CSS_SELECTOR, "#search-results li[data-uid]")[0].click()
    wait_for(page, "document.querySelector('#details h3') && "
                   "document.querySelector('#details h3').textContent === '山东农业大学'")
    page.find_element(By.CSS_SELECTOR, "#tabs button[data-tab=recommend]").click()
    page.find_element(By.CSS_SELECTOR, "#rec-form button").click()
    wait_for(page, "document.querySelector('#rec-results table, #rec-results .notice')",
             timeout=60)
    link = page.find_element(By.CSS_SELECTOR, "#rec-results a").get_attribute("href")
    assert link.endswith(".xlsx?k=10")
    status = page.execute_script(
        "return fetch(arguments[0]).then(function (r) { return r.status + ' ' + "
        "r.headers.get('content-type'); });", link)
    assert status.startswith("200 application/vnd.openxmlformats")
    assert page.find_elements(By.CSS_SELECTOR, "#rec-results tbody tr")
    wait_for(page, "document.getElementById('view-title').textContent.indexOf('推荐') >= 0")
    drawn(page)
    shot(page, "5-recommend")


def test_gap_tables(page: Any) -> None:
    page.find_element(By.CSS_SELECTOR, "#tabs button[data-tab=gaps]").click()
    for which in ("fields", "targets", "isolated"):
        page.find_element(By.CSS_SELECTOR, f"[data-gap={which}]").click()
        wait_for(page, "document.querySelector('#gap-results table, #gap-results .notice')",
                 timeout=60)
        shot(page, f"6-gaps-{which}")
    has_gaps = page.execute_script("return !!window.explorer.openapi.paths['/gaps/fields']")
    page.find_element(By.CSS_SELECTOR, "[data-gap=fields]").click()
    wait_for(page, "document.querySelector('#gap-results table, #gap-results .notice')",
             timeout=60)
    if not has_gaps:
        assert "尚未上线" in text_of(page, "#gap-results")
        return
    rows = page.find_elements(By.CSS_SELECTOR, "#gap-results tbody tr")
    assert rows
    rows[0].click()  # a field row opens its gap view
    wait_for(page, "document.getElementById('view-title').textContent.indexOf('缺口') >= 0",
             timeout=30)
    drawn(page)
    shot(page, "7-gap-view")


def test_time_slider_takes_the_view_and_the_gap_table_back_in_time(page: Any) -> None:
    span = page.execute_script("return window.explorer.years")
    assert span and span["first"] < span["last"], span
    now_nodes = page.execute_script("return window.explorer.nodes.length")
    now_rows = len(page.find_elements(By.CSS_SELECTOR, "#gap-results tbody tr"))
    title = text_of(page, "#view-title")
    early = span["first"] + (span["last"] - span["first"]) // 3
    page.execute_script("""
        var s = document.getElementById('year-slider');
        s.value = String(arguments[0]);
        s.dispatchEvent(new Event('change'));""", early)
    wait_for(page, "document.getElementById('view-title').textContent"
                   f".indexOf('截至{early}年') >= 0", timeout=60)
    drawn(page)
    wait_for(page, "document.querySelector('#gap-results table, #gap-results .notice')",
             timeout=60)
    assert f"截至 {early} 年" in text_of(page, "#stats")
    assert f"截至 {early} 年" in text_of(page, "#year-label")
    past_nodes = page.execute_script("return window.explorer.nodes.length")
    assert past_nodes <= now_nodes, (past_nodes, now_nodes, title)
    assert len(page.find_elements(By.CSS_SELECTOR, "#gap-results tbody tr")) <= now_rows
    shot(page, "8-gaps-slider-moved")
    # replay: the slider walks to the last year, the picture redrawn at each step
    page.find_element(By.ID, "year-play").click()
    wait_for(page, f"document.getElementById('timebar').getAttribute('data-year') === "
                   f"'{span['last']}' && !window.explorer.playing", timeout=90)
    drawn(page)
    shot(page, "9-replayed")
    page.find_element(By.ID, "year-all").click()
    wait_for(page, "document.getElementById('year-label').textContent === '全部年份'")


def test_the_overview_is_grouped_and_opens_group_by_group(page: Any) -> None:
    page.find_element(By.CSS_SELECTOR, "#tabs button[data-tab=search]").click()
    page.find_element(By.CSS_SELECTOR, "[data-overview=field]").click()
    wait_for(page, "document.getElementById('view-title').textContent.indexOf('按领域聚合') >= 0",
             timeout=60)
    drawn(page)
    groups = page.execute_script("""
        return window.explorer.nodes.get().filter(function (n) {
          return /^(kind|field|community):/.test(n.id); }).length;""")
    total = page.execute_script("return window.explorer.nodes.length")
    assert groups >= 3 and total <= 80, (groups, total)  # a picture of groups, not dots
    shot(page, "10-overview-by-field")
    page.execute_script("""
        var ex = window.explorer, big = null;
        ex.nodes.forEach(function (n) {
          if (/^field:/.test(n.id) && (!big || n.size > big.size)) big = n; });
        ex.network.body.emitter.emit('doubleClick', {nodes: [big.id], edges: []});""")
    wait_for(page, f"window.explorer.nodes.length > {total}", timeout=60)
    drawn(page)
    assert "已展开 1 组" in text_of(page, "#view-notes")
    legible_after_expanding(page)
    shot(page, "11-overview-group-opened")
    # a large group opens into sub-groups; a sub-group opens into its members
    sub = page.execute_script("""
        var ex = window.explorer, pick = null;
        ex.nodes.forEach(function (n) {
          if (String(n.id).indexOf('|') > 0 && (!pick || n.size > pick.size)) pick = n; });
        return pick && pick.id;""")
    if sub:
        before = page.execute_script("return window.explorer.nodes.length")
        page.execute_script(
            "window.explorer.network.body.emitter.emit('doubleClick', {nodes: [arguments[0]],"
            " edges: []});", sub)
        wait_for(page, f"window.explorer.nodes.length > {before}", timeout=60)
        drawn(page)
        assert "已展开 2 组" in text_of(page, "#view-notes")
        legible_after_expanding(page)
        shot(page, "12-overview-members")


def test_console_is_clean(page: Any) -> None:
    errors = [e for e in console_errors(page) if not any(p in e for p in OPTIONAL)]
    assert errors == []
