"use strict";
/* The live preview: long-poll /status, show each new build in place and keep the reader's place.

Everything from the build (problem messages, page text, chapter titles) is set as text, never as
HTML: a message can quote a chapter's "<script>". */
(() => {
  const $ = (id) => document.getElementById(id);
  const SCROLL_KEY = "docbuild-preview-scroll";
  let version = -1;        // the server's state last seen
  let shown = -1;          // the build on screen
  let chapter = "";        // the EPUB file in the frame
  let pagesScroll = null;  // the reader's place in the pages while errors stand in for them
  let firstBuild = true;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function problemItem(problem) {
    const item = document.createElement("li");
    const where = document.createElement("code");
    where.textContent = problem.location;
    item.append(where, `: ${problem.severity}: ${problem.message}`);
    return item;
  }

  function showProblems(status) {
    $("problem-list").replaceChildren(...status.errors.map(problemItem));
    $("warning-list").replaceChildren(...status.warnings.map(problemItem));
    const count = status.warnings.length;
    $("warnings").hidden = count === 0;
    $("warnings-title").textContent = count === 1 ? "1 warning" : `${count} warnings`;
  }

  function showPages(status) {
    const box = $("pages");
    const total = status.pages.length;
    status.pages.forEach((page, index) => {
      let image = box.children[index];
      if (!image) {
        image = document.createElement("img");
        image.className = "page";
        image.decoding = "async";
        if (index > 1) image.loading = "lazy";
        box.append(image);
      }
      image.width = page.width;     // the size is known before the image arrives: nothing moves
      image.height = page.height;
      image.alt = `Page ${index + 1} of ${total}. ${page.text}`;
      image.src = `/page/${index + 1}.png?build=${status.build}`;   // the old one stays until it loads
    });
    while (box.children.length > total) box.lastElementChild.remove();
  }

  function chapterLinks(status) {
    return status.chapters.map((entry) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/epub/${entry.href}`;
      link.textContent = entry.title;
      link.dataset.href = entry.href;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        openChapter(entry.href, status.build, 0);
      });
      item.append(link);
      return item;
    });
  }

  function showEpub(status) {
    const hrefs = status.chapters.map((entry) => entry.href);
    $("chapters").replaceChildren(...chapterLinks(status));
    const frame = $("chapter");
    if (!hrefs.includes(chapter)) chapter = hrefs[0] || "";
    let y = 0;
    try { y = frame.contentWindow.scrollY; } catch (error) { y = 0; }
    if (chapter) openChapter(chapter, status.build, y);
    else frame.removeAttribute("src");
    $("no-epub").hidden = hrefs.length > 0;
  }

  function openChapter(href, build, y) {
    chapter = href;
    for (const link of $("chapters").querySelectorAll("a")) {
      if (link.dataset.href === href) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const frame = $("chapter");
    frame.dataset.scroll = String(y);
    frame.src = `/epub/${href}?build=${build}`;
  }

  function chapterLoaded() {
    const frame = $("chapter");
    try {
      frame.contentWindow.scrollTo(0, Number(frame.dataset.scroll || 0));
      frame.dataset.scroll = "0";
      const path = frame.contentWindow.location.pathname;   // a link inside may have moved on
      if (path.startsWith("/epub/")) chapter = path.slice("/epub/".length);
    } catch (error) { /* not loaded from the preview */ }
  }

  function summary(status) {
    if (status.building) return firstBuild ? "Building the book…" : "Rebuilding…";
    if (status.ok === false) {
      const count = status.errors.length;
      return `Build ${status.build} failed: ${count} ${count === 1 ? "error" : "errors"}`;
    }
    const time = new Date().toLocaleTimeString();
    return `Build ${status.build}: ${status.page_count} pages, built in ${status.seconds} s (at ${time})`;
  }

  function restoreScroll() {
    if (pagesScroll !== null) {
      window.scrollTo(0, pagesScroll);
      pagesScroll = null;
    } else if (firstBuild) {
      window.scrollTo(0, Number(sessionStorage.getItem(SCROLL_KEY) || 0));
    }
  }

  function show(status) {
    document.body.dataset.building = String(status.building);
    $("status").textContent = summary(status);
    if (status.build === shown || status.build === 0) return;
    const failed = status.ok === false;
    if (failed && document.body.dataset.state === "ok") pagesScroll = window.scrollY;
    document.body.dataset.state = failed ? "failed" : "ok";
    $("problems").hidden = !failed;
    showProblems(status);
    if (!failed) {
      showPages(status);
      showEpub(status);
      restoreScroll();
      firstBuild = false;
    }
    shown = status.build;
    document.body.dataset.build = String(status.build);
  }

  async function poll() {
    for (;;) {
      try {
        const response = await fetch(`/status?since=${version}`, {cache: "no-store"});
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const status = await response.json();
        document.body.dataset.offline = "false";
        version = status.version;
        show(status);
      } catch (error) {
        document.body.dataset.offline = "true";
        $("status").textContent = "The preview server is not answering (stopped?): retrying…";
        version = -1;   // a restarted server counts its builds from 1 again
        shown = -1;
        await sleep(2000);
      }
    }
  }

  function selectTab(tab) {
    for (const each of document.querySelectorAll('[role="tab"]')) {
      const on = each === tab;
      each.setAttribute("aria-selected", String(on));
      each.tabIndex = on ? 0 : -1;
      $(each.getAttribute("aria-controls")).hidden = !on;
    }
  }

  function setUpTabs() {
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    for (const tab of tabs) {
      tab.addEventListener("click", () => selectTab(tab));
      tab.addEventListener("keydown", (event) => {
        const step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
        if (!step) return;
        const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
        selectTab(next);
        next.focus();
      });
    }
  }

  function start() {
    setUpTabs();
    $("chapter").addEventListener("load", chapterLoaded);
    window.addEventListener("scroll", () => {
      if (document.body.dataset.state === "ok") sessionStorage.setItem(SCROLL_KEY, String(window.scrollY));
    }, {passive: true});
    poll();
  }

  start();
})();
