"""OASAPI and Vault: class methods, fields, deletion, and the fields of errors."""

import pytest

from oas.oas_api import OASAPI
from oas.ease.exceptions import (OASClientError, OASServerError, OASTransportError,
                                 OASValueError)
from oas.ease.vault import Vault

from conftest import ACCESS_ID, make_file


def test_create_get_list_delete(api, vault_name):
    v = Vault.create_vault(api, vault_name)
    assert len(v.id) == 32 and v.name == vault_name
    assert isinstance(v.creation_date, str) and v.creation_date.endswith("GMT")
    assert v.last_inventory_date is None
    assert v.number_of_archives == 0 and v.size == 0
    assert Vault.create_vault(api, vault_name).id == v.id  # existing name: same vault
    assert Vault.get_vault_by_id(api, v.id).name == vault_name
    assert Vault.get_vault_by_name(api, vault_name).id == v.id
    listed = {x.name: x for x in Vault.list_all_vaults(api)}
    assert listed[vault_name].id == v.id and listed[vault_name].creation_date == v.creation_date
    assert "Vault(" in repr(v)
    v.delete()
    with pytest.raises(ValueError) as e:
        Vault.get_vault_by_name(api, vault_name)
    assert "Vault not exists: " + vault_name in str(e.value)

    a = Vault.create_vault(api, vault_name + "a")
    Vault.delete_vault_by_id(api, a.id)
    b = Vault.create_vault(api, vault_name + "b")
    Vault.delete_vault_by_name(api, b.name)
    names = [x.name for x in Vault.list_all_vaults(api)]
    assert a.name not in names and b.name not in names


def test_refresh_counts(vault, tmp_path):
    path = str(tmp_path / "f")
    make_file(path, 1000)
    vault.upload_archive(path)
    vault.refresh()
    assert vault.number_of_archives == 1 and vault.size == 1000


def test_server_error_fields(api):
    with pytest.raises(OASServerError) as e:
        Vault.get_vault_by_id(api, "0" * 32)
    err = e.value
    assert err.status == 404
    assert err.code and err.type == "client"
    assert len(err.request_id) == 32
    assert err.headers["x-oas-request-id"] == err.request_id
    assert all(k == k.lower() for k in err.headers)
    assert err.message == "0" * 32 + " does not exist"  # the server's own message
    assert "DescribeVault" in err.description
    assert err.headers["content-type"] == "application/json" and "date" in err.headers
    assert err.result in (400, 402) and err.result_name
    assert "404" in str(err)


def test_delete_non_empty_vault_is_a_server_error(vault, tmp_path):
    path = str(tmp_path / "f")
    make_file(path, 10)
    vault.upload_archive(path)
    with pytest.raises(OASServerError) as e:
        vault.delete()
    assert e.value.status in (400, 409) and e.value.code


def test_wrong_secret(emulator):
    bad = OASAPI(emulator.host, ACCESS_ID, "wrong-secret", port=emulator.port)
    with pytest.raises(OASServerError) as e:
        Vault.list_all_vaults(bad)
    assert e.value.status == 403 and e.value.code == "SignatureDoesNotMatch"


def test_bad_arguments(api):
    with pytest.raises(ValueError) as e:
        Vault.create_vault(api, "Bad Name!")
    assert isinstance(e.value, OASValueError) and isinstance(e.value, OASClientError)
    with pytest.raises(TypeError):
        OASAPI("h", "id", "key", nonsense=1)


def test_transport_error_is_an_ioerror():
    api = OASAPI("127.0.0.1", ACCESS_ID, "k", port=1, retry_max_attempts=1,
                 connect_timeout=1)
    with pytest.raises(IOError) as e:
        Vault.list_all_vaults(api)
    assert isinstance(e.value, OASTransportError) and isinstance(e.value, OASClientError)


def test_constructor_forms():
    assert OASAPI("example.com", "i", "k").endpoint == "http://example.com:80"
    assert OASAPI("example.com", "i", "k", port=443).endpoint == "https://example.com:443"
    assert OASAPI("example.com", "i", "k", port=8443, is_security=True).endpoint == \
        "https://example.com:8443"
    assert OASAPI("http://example.com:81", "i", "k").endpoint == "http://example.com:81"
