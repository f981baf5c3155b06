// The feed's client: the HTML shell holds no content; everything below arrives by fetch() after load and on scroll.
(function () {
  "use strict";
  var app = document.getElementById("app");
  var view = app.getAttribute("data-view");
  var key = app.getAttribute("data-key");
  var cursor = 0;
  var loading = false;
  var hasMore = true;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function getJSON(url, attempt) {
    attempt = attempt || 0;
    return fetch(url, {headers: {"Accept": "application/json"}}).then(function (response) {
      if ((response.status >= 500 || response.status === 429) && attempt < 4) {
        return new Promise(function (resolve) { setTimeout(resolve, 300 * (attempt + 1)); })
          .then(function () { return getJSON(url, attempt + 1); });
      }
      return response.json().then(function (body) { return {status: response.status, body: body}; });
    });
  }

  function card(item) {
    var section = el("section", "note-item");
    section.setAttribute("data-id", item.id);
    var link = el("a", "note-link");
    link.href = item.url;
    var cover = el("img", "note-cover");
    cover.src = item.cover;
    cover.alt = "";
    link.appendChild(cover);
    link.appendChild(el("div", "note-title", item.title));
    section.appendChild(link);
    section.appendChild(el("p", "note-excerpt", item.excerpt));
    var author = el("a", "note-author", item.author.name);
    author.href = item.author.url;
    section.appendChild(author);
    section.appendChild(el("span", "note-likes", "♥ " + item.likes));
    return section;
  }

  function listUrl() {
    var base;
    if (view === "user") base = "/api/user/" + encodeURIComponent(key) + "/notes?";
    else base = "/api/feed?" + (key ? "keyword=" + encodeURIComponent(key) + "&" : "");
    return base + "cursor=" + cursor + "&limit=20";
  }

  function setupList() {
    app.innerHTML = "";
    if (view === "search") app.appendChild(el("h1", "search-title", "“" + key + "”的相关笔记"));
    if (view === "user") app.appendChild(el("h1", "user-name", ""));
    app.appendChild(el("div", "note-list"));
    var button = el("button", "load-more", "加载更多");
    button.type = "button";
    button.addEventListener("click", loadMore);
    app.appendChild(button);
    window.addEventListener("scroll", function () {
      if (window.innerHeight + window.scrollY >= document.body.offsetHeight - 200) loadMore();
    });
    loadMore();
  }

  function loadMore() {
    if (loading || !hasMore) return;
    loading = true;
    getJSON(listUrl()).then(function (result) {
      var list = app.querySelector(".note-list");
      var body = result.body;
      if (result.status !== 200) {
        app.appendChild(el("div", "removed-notice", body.message || "内容加载失败"));
        hasMore = false;
      } else {
        if (body.user) app.querySelector(".user-name").textContent = body.user.name;
        body.items.forEach(function (item) { list.appendChild(card(item)); });
        cursor = body.cursor;
        hasMore = body.has_more;
        if (!body.items.length && cursor === 0) list.appendChild(el("p", "no-result", "暂无相关笔记"));
      }
      if (!hasMore) {
        var button = app.querySelector(".load-more");
        if (button) button.remove();
      }
      loading = false;
      if (hasMore && document.body.offsetHeight <= window.innerHeight) loadMore();
    });
  }

  function renderNote() {
    getJSON("/api/note/" + encodeURIComponent(key)).then(function (result) {
      app.innerHTML = "";
      var note = result.body;
      if (result.status !== 200) {
        app.appendChild(el("div", "removed-notice", note.message || "内容不存在"));
        return;
      }
      var detail = el("div", "");
      detail.id = "note-detail";
      detail.setAttribute("data-id", note.id);
      var images = el("div", "note-images");
      note.images.forEach(function (src) {
        var img = el("img", "");
        img.src = src;
        img.alt = "笔记图片";
        images.appendChild(img);
      });
      detail.appendChild(images);
      detail.appendChild(el("h1", "note-title", note.title));
      var desc = el("div", "note-desc");
      note.text.split("\n").forEach(function (line) { desc.appendChild(el("p", "", line)); });
      detail.appendChild(desc);
      var tags = el("div", "note-tags");
      note.tags.forEach(function (tag) {
        var link = el("a", "note-tag", "#" + tag);
        link.href = "/search_result?keyword=" + encodeURIComponent(tag);
        tags.appendChild(link);
      });
      detail.appendChild(tags);
      var author = el("a", "note-author", note.author.name);
      author.href = note.author.url;
      detail.appendChild(author);
      detail.appendChild(el("span", "note-location", note.location));
      detail.appendChild(el("span", "note-time", note.published_at));
      app.appendChild(detail);
    });
  }

  if (view === "note") renderNote();
  else setupList();
})();
