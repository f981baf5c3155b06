// The app's page client: the page's data arrives embedded (window.__INITIAL_STATE__); this draws it.
(function () {
  "use strict";
  var app = document.getElementById("app");
  var state = window.__INITIAL_STATE__ || {};

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function link(cls, href, text) {
    var node = el("a", cls, text);
    node.href = href;
    return node;
  }

  function goods(item) {
    var box = el("div", "goods-detail");
    box.appendChild(el("h1", "goods-title", item.title));
    box.appendChild(el("div", "goods-price", item.price ? "¥ " + item.price : "面议"));
    var seller = el("div", "goods-seller");
    seller.appendChild(link("seller-link", item.seller.link, item.seller.name));
    seller.appendChild(el("span", "seller-city", " " + item.seller.city));
    box.appendChild(seller);
    var images = el("div", "goods-images");
    item.images.forEach(function (src) {
      var img = el("img");
      img.src = src;
      img.alt = "";
      images.appendChild(img);
    });
    box.appendChild(images);
    item.desc.split("\n").forEach(function (line) { box.appendChild(el("p", "goods-desc", line)); });
    return box;
  }

  function items(list) {
    var box = el("div", "goods-list");
    list.forEach(function (item) {
      var card = el("div", "goods-item");
      card.appendChild(link("goods-link", item.link, item.title));
      card.appendChild(el("div", "goods-price", item.price ? "¥ " + item.price : "面议"));
      box.appendChild(card);
    });
    return box;
  }

  if (state.notice) {
    app.appendChild(el("div", "removed-notice", state.notice));
  } else if (state.goods) {
    app.appendChild(goods(state.goods));
  } else if (state.user) {
    app.appendChild(el("h1", "user-name", state.user.name));
    app.appendChild(items(state.items || []));
    if (state.next) app.appendChild(link("next-page", state.next, "下一页"));
  }
})();
