"""The self-check page in a real Chromium (Debian's /usr/bin/chromium) against the real server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from conftest import create_key, run_server

EXAMPLES: dict[str, str] = yaml.safe_load((Path(__file__).parents[1] / "data/examples.yaml").read_text("utf-8"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

if not shutil.which(CHROMIUM):
    pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)", pytrace=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    page.goto(f"{server}/")
    expect(page.locator("#question option[value='internal-customer']")).to_have_count(1)
    yield page
    context.close()


def test_type_a_draft_check_and_see_the_checklist_with_highlights(page: Page) -> None:
    draft = EXAMPLES["plain"]
    expect(page.locator("#prompt")).to_contain_text("企业文化考试论述题")
    page.locator("#draft").fill(draft)
    expect(page.locator("#count")).to_contain_text("建议 400 字左右")
    page.get_by_role("button", name="检查草稿").click()

    expect(page.locator("#result")).to_be_visible()
    items = page.locator("#checklist > li")
    expect(items).to_have_count(8)
    assert page.locator("#checklist > li.met").count() >= 3
    missing = page.locator("#checklist > li:not(.met)")
    expect(missing.first.locator(".hint")).to_contain_text("提示:")
    expect(page.locator("#summary")).to_contain_text("个要点已答到")
    expect(page.locator("#length")).to_contain_text("建议 400 字左右")

    # The draft is shown as typed, with the evidence sentences marked in place.
    view = page.locator("#draft-view")
    assert view.text_content() == draft
    marks = view.locator("mark")
    assert marks.count() >= 3
    for text in marks.all_text_contents():
        assert text and text in draft
    # An evidence link in the checklist leads to its mark in the draft.
    link = page.locator("#checklist > li.met .refs a").first
    link.click()
    target = page.locator(link.get_attribute("href") or "#none")
    expect(target).to_be_visible()
    assert target.evaluate("el => el.tagName") == "MARK"


def test_markup_in_a_draft_stays_inert_text(page: Page) -> None:
    draft = (
        '<script>window.__pwned = "script"</script>'
        '<img src="x" onerror="window.__pwned = \'img\'">'
        "上级给下级安排任务,上级就是下级的客户。<b>粗体</b>"
    )
    page.locator("#draft").fill(draft)
    page.get_by_role("button", name="检查草稿").click()
    expect(page.locator("#result")).to_be_visible()
    view = page.locator("#draft-view")
    expect(view).to_contain_text('<img src="x" onerror=')
    assert view.text_content() == draft
    assert page.locator("#result img, #result script, #result b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_keyboard_alone(page: Page) -> None:
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#question")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#draft")).to_be_focused()
    page.keyboard.type("领导给我派活,这时候领导就是我的客户。")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#result-heading")).to_be_focused()
    expect(page.locator("#checklist > li")).to_have_count(8)


def test_fits_a_phone_screen(browser: Browser, server: str) -> None:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        page.goto(f"{server}/")
        expect(page.locator("#question option[value='internal-customer']")).to_have_count(1)
        page.locator("#draft").fill(EXAMPLES["plain"])
        page.get_by_role("button", name="检查草稿").tap()
        expect(page.locator("#checklist > li")).to_have_count(8)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        box = page.locator("#check").bounding_box()
        assert box is not None and box["width"] > 300
    finally:
        context.close()


def test_the_page_tells_the_student_what_went_wrong(page: Page) -> None:
    page.locator("#draft").fill("字" * 20_001)
    page.get_by_role("button", name="检查草稿").click()
    expect(page.locator("#status")).to_contain_text("超过上限")
    expect(page.locator("#result")).to_be_hidden()


def test_a_school_that_requires_keys_gets_a_key_field_and_no_score(browser: Browser, school: tuple[str, str]) -> None:
    url, database_url = school
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{url}/")
        expect(page.locator("#key-field")).to_be_visible()
        expect(page.locator("#status")).to_contain_text("需要访问密钥")
        page.get_by_label("访问密钥").fill(create_key(database_url, "student"))
        page.get_by_label("访问密钥").press("Tab")
        expect(page.locator("#question option[value='waste-sorting']")).to_have_count(1)
        page.get_by_label("你的作答草稿").fill("垃圾分为可回收物、厨余垃圾、有害垃圾和其他垃圾。")
        page.get_by_role("button", name="检查草稿").click()
        expect(page.locator("#checklist > li")).not_to_have_count(0)
        expect(page.locator("#summary")).to_contain_text("个要点已答到")
        expect(page.locator("#summary")).not_to_contain_text("得分")
    finally:
        context.close()


def test_the_latest_check_wins_when_an_earlier_answer_comes_late(page: Page) -> None:
    """A student presses Ctrl+Enter, edits the draft and presses it again before the first answer
    came: the page shows the check of the draft as it is now, even when the first answer comes last."""
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)  # answered below, after the second check

    page.route("**/v1/check", hold_the_first)
    draft = page.locator("#draft")
    draft.fill("第一稿。")
    draft.press("Control+Enter")
    page.wait_for_function("() => document.getElementById('status').textContent === '正在检查……'")
    final = "上级给下级安排任务,上级就是下级的客户。部门之间互为客户。"
    draft.fill(final)
    draft.press("Control+Enter")
    expect(page.locator("#draft-view")).to_have_text(final)
    assert len(held) == 1
    with page.expect_response("**/v1/check"):
        held[0].continue_()
    page.wait_for_timeout(500)  # time for the late answer to be (wrongly) rendered
    expect(page.locator("#draft-view")).to_have_text(final)
    expect(page.locator("#status")).to_have_text("检查完成。")
    expect(page.locator("#check")).to_be_enabled()


def test_a_check_that_fails_says_why_and_leaves_no_earlier_result_on_show(page: Page) -> None:
    """Text pasted with a NUL character is refused by the server: the student reads what is wrong with
    the draft, not only that the request was malformed, and the checklist of the draft checked before
    is no longer shown as if it were this one's."""
    page.locator("#draft").fill("上级给下级安排任务,上级就是下级的客户。")
    page.get_by_role("button", name="检查草稿").click()
    expect(page.locator("#result")).to_be_visible()
    page.locator("#draft").fill("上级给下级安排任务,\x00上级就是下级的客户。部门之间互为客户。")
    page.get_by_role("button", name="检查草稿").click()
    expect(page.locator("#status")).to_contain_text("空字符")
    expect(page.locator("#result")).to_be_hidden()


def test_the_question_list_is_fetched_again_when_it_could_not_be_loaded(browser: Browser, server: str) -> None:
    """The service was out of reach when the page opened: pressing 检查草稿 once it is back loads the
    questions and checks the draft, instead of asking the student to pick from an empty list."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.route("**/v1/check/questions", lambda route: route.abort())
        page.goto(f"{server}/")
        expect(page.locator("#status")).to_contain_text("无法连接到服务")
        page.unroute("**/v1/check/questions")
        page.get_by_label("你的作答草稿").fill("上级给下级安排任务,上级就是下级的客户。")
        page.get_by_role("button", name="检查草稿").click()
        expect(page.locator("#question option[value='internal-customer']")).to_have_count(1)
        expect(page.locator("#status")).to_have_text("检查完成。")
        expect(page.locator("#checklist > li")).not_to_have_count(0)
    finally:
        context.close()


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server that allows each visitor 2 checks a minute: a school lab's computers all reach it from
    127.0.0.1, as from behind one NAT address."""
    workdir = tmp_path_factory.mktemp("lab")
    env = {
        "YUEJUAN_DATABASE_URL": f"sqlite:///{workdir / 'keys.db'}",
        "YUEJUAN_RATE_LIMIT_CHECK": "2",
        "YUEJUAN_RUN_JOBS": "false",
    }
    with run_server(workdir, env) as url:
        yield url


def _check_twice_and_collect_tokens(page: Page) -> list[str]:
    """Check two drafts on the page as a student does; the X-Visitor-Token each check was sent with."""
    sent: list[str] = []
    page.on(
        "request", lambda r: sent.append(r.headers.get("x-visitor-token", "")) if r.url.endswith("/v1/check") else None
    )
    expect(page.locator("#question option[value='internal-customer']")).to_have_count(1)
    for draft in ("上级给下级安排任务,上级就是下级的客户。", "部门之间互为客户,下道工序是上道工序的客户。"):
        page.get_by_label("你的作答草稿").fill(draft)
        page.get_by_role("button", name="检查草稿").click()
        expect(page.locator("#status")).to_have_text("检查完成。")
        expect(page.locator("#draft-view")).to_have_text(draft)
    return sent


def test_students_of_one_lab_check_drafts_each_within_their_own_limit(browser: Browser, lab_server: str) -> None:
    """Three students behind one address each check two drafts: six checks where the address alone was
    allowed two. Each page sends a visitor token of its own with every check."""
    tokens: list[list[str]] = []
    for _ in range(3):
        context = browser.new_context(locale="zh-CN")
        try:
            page = context.new_page()
            page.goto(f"{lab_server}/")
            tokens.append(_check_twice_and_collect_tokens(page))
        finally:
            context.close()
    for sent in tokens:
        assert len(sent) == 2 and sent[0] and sent[0] == sent[1]
    assert len({sent[0] for sent in tokens}) == 3


def test_a_page_whose_token_is_refused_gets_a_new_one_and_checks(browser: Browser, lab_server: str) -> None:
    """A token kept in the tab from before (expired, or the deployment's secret changed) is refused: the page
    asks for a new one and checks the draft with it, without troubling the student."""
    stale = "v1.AAAAAAAAAAAAAAAAAAAAAA.1.forged"
    context = browser.new_context(locale="zh-CN")
    context.add_init_script(f"sessionStorage.setItem('yuejuan-visitor', '{stale}')")
    try:
        page = context.new_page()
        refusals: list[int] = []
        page.on("response", lambda r: refusals.append(r.status) if r.url.endswith("/v1/check") else None)
        page.goto(f"{lab_server}/")
        sent = _check_twice_and_collect_tokens(page)
        assert sent[0] == stale and refusals[0] == 401
        assert sent[1] and sent[1] != stale and sent[1:] == [sent[1]] * len(sent[1:])
        assert page.evaluate("sessionStorage.getItem('yuejuan-visitor')") == sent[1]
    finally:
        context.close()
