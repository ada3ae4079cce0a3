from __future__ import annotations

from civicauth.accounts import amr


def test_each_sign_in_path_has_its_methods() -> None:
    assert amr.PASSWORD == ("pwd",)
    assert amr.with_second_factor("totp") == ("pwd", "otp", "mfa")
    assert amr.with_second_factor("recovery_code") == ("pwd", "otp", "mfa")
    assert amr.with_second_factor("passkey") == ("pwd", "hwk", "mfa")
    assert amr.PASSKEY_ALONE == ("hwk", "mfa")


def test_stored_methods_read_back_only_known_values() -> None:
    assert amr.parse(["pwd", "otp", "mfa"]) == ("pwd", "otp", "mfa")
    assert amr.parse("pwd hwk") == ("pwd", "hwk")
    assert amr.parse(["pwd", "sms", 3]) == ("pwd",)
    assert amr.parse(None) == ()
    assert amr.parse({"pwd": 1}) == ()
