"""The baseline for the server benchmarks: the same stack doing one indexed SELECT of one row.

Flask + flask-smorest (a marshmallow-validated JSON body and response) + Flask-SQLAlchemy ORM,
reading one subject by its unique (kind, external_id) index from the benchmark database.
Served by gunicorn exactly like the service: `gunicorn bench.baseline_app:app`. Not part of the
product.
"""
from __future__ import annotations

import os

import marshmallow as ma
from flask import Flask
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
blp = Blueprint("baseline", __name__)


class Subject(db.Model):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    revision: Mapped[int]


class LookupSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    id = ma.fields.String(required=True)


class SubjectSchema(ma.Schema):
    kind = ma.fields.String()
    id = ma.fields.String(attribute="external_id")
    revision = ma.fields.Integer()


@blp.route("/baseline/lookup", methods=["POST"])
@blp.arguments(LookupSchema)
@blp.response(200, SubjectSchema)
def lookup(body: dict):
    return db.session.scalars(
        select(Subject).where(Subject.kind == body["kind"], Subject.external_id == body["id"])
    ).one_or_none() or {"kind": body["kind"], "external_id": body["id"], "revision": 0}


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": 5},
        API_TITLE="baseline", API_VERSION="1", OPENAPI_VERSION="3.0.3",
    )
    db.init_app(app)
    Api(app).register_blueprint(blp)
    return app


app = create_app()
