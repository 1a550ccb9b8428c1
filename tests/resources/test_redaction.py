from data_platform.resources.redaction import redact


def test_url_passwords_are_hidden() -> None:
    text = "could not connect to postgresql://app:s3cret@db:5432/app and redis://:tok3n@cache:6379/0"
    assert redact(text) == "could not connect to postgresql://app:***@db:5432/app and redis://:***@cache:6379/0"


def test_key_value_passwords_are_hidden() -> None:
    assert redact("host=db password=hunter2 dbname=app") == "host=db password=*** dbname=app"


def test_text_without_secrets_is_unchanged() -> None:
    text = "postgresql://postgres@/warehouse?host=/tmp/x and http://127.0.0.1:8765/rates"
    assert redact(text) == text


def test_quoted_key_value_passwords_are_hidden_whole() -> None:
    assert redact("host=db password='two words' dbname=app") == "host=db password=*** dbname=app"
