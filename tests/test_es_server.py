def test_smoke(es_url):
    import httpx
    assert httpx.get(es_url).json()["version"]["number"].startswith("8.")
