"""The fixed vocabulary of the simulated shop: channels, countries, pages, devices, experiments."""

from __future__ import annotations

import json

import numpy as np

CHANNELS = ("organic", "paid_search", "social", "email", "referral")
CHANNEL_WEIGHTS = np.array([0.35, 0.25, 0.20, 0.10, 0.10])
# How much more (or less) a session from each channel converts than an organic one.
CHANNEL_CONVERSION = np.array([1.0, 1.25, 0.6, 1.5, 1.1])

COUNTRIES = ("US", "KR", "GB", "DE", "JP", "CA")
COUNTRY_WEIGHTS = np.array([0.40, 0.30, 0.10, 0.08, 0.07, 0.05])
KOREA = COUNTRIES.index("KR")

FIRST_NAMES = ("alex", "jisoo", "minjun", "sam", "emma", "noah", "yuna", "liam", "olivia", "hana",
               "leo", "mia", "seojun", "ava", "ethan", "sora", "lucas", "chloe", "daniel", "ji")
EMAIL_DOMAINS = ("gmail.com", "naver.com", "yahoo.com", "outlook.com", "icloud.com", "kakao.com")

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "ShopApp/4.2.1 (iOS 17.5; iPhone15,2)",
    "ShopApp/4.2.0 (Android 14; SM-S918N)",
)

STATIC_PAGES = ("/", "/search", "/category/shoes", "/category/bags", "/category/outerwear",
                "/cart", "/account", "/help")
PRODUCT_PAGES = tuple(f"/product/{n}" for n in range(1, 201))
PAGES = STATIC_PAGES + PRODUCT_PAGES + ("/checkout/complete",)
FIRST_PRODUCT = len(STATIC_PAGES)
CHECKOUT_PAGE = len(PAGES) - 1
# Half of the page views land on a static page, half on one of the products.
PAGE_WEIGHTS = np.concatenate([np.full(len(STATIC_PAGES), 0.5 / len(STATIC_PAGES)),
                               np.full(len(PRODUCT_PAGES), 0.5 / len(PRODUCT_PAGES)), [0.0]])

EVENT_TYPES = ("page_view", "add_to_cart", "purchase")
PAGE_VIEW, ADD_TO_CART, PURCHASE = 0, 1, 2

# A user's experiments, coded as checkout (0 control, 1 treatment) * 3 + banner
# (0 not enrolled, 1 control, 2 treatment): the banner only runs for part of the users.
CHECKOUT_EXPERIMENT, BANNER_EXPERIMENT = "checkout_button", "free_shipping_banner"
BANNER_ENROLLMENT = 0.7
VARIANTS = ("control", "treatment")
CHECKOUT_LIFT, BANNER_LIFT = 1.25, 1.10


def _experiments_json(code: int) -> str:
    checkout, banner = divmod(code, 3)
    assigned = {CHECKOUT_EXPERIMENT: VARIANTS[checkout]}
    if banner:
        assigned[BANNER_EXPERIMENT] = VARIANTS[banner - 1]
    return json.dumps(assigned, separators=(",", ":"))


# JSON fragments, escaped once, that the line formatter pastes into every event.
EXPERIMENTS_JSON = tuple(_experiments_json(code) for code in range(6))
CHANNELS_JSON = tuple(json.dumps(c) for c in CHANNELS)
PAGES_JSON = tuple(json.dumps(p) for p in PAGES)
EVENT_TYPES_JSON = tuple(json.dumps(t) for t in EVENT_TYPES)
USER_AGENTS_JSON = tuple(json.dumps(a) for a in USER_AGENTS)
