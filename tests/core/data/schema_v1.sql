-- A database as schema version 1 made it (customers, products, a sealed invoice, a draft).
BEGIN TRANSACTION;
CREATE TABLE "audit_entry" ("id" INTEGER NOT NULL PRIMARY KEY, "at" VARCHAR(255) NOT NULL, "user" VARCHAR(255) NOT NULL, "entity" VARCHAR(255) NOT NULL, "entity_id" INTEGER NOT NULL, "ref" VARCHAR(255) NOT NULL, "field" VARCHAR(255) NOT NULL, "old" TEXT, "new" TEXT);
INSERT INTO "audit_entry" VALUES(1,'2026-11-28T00:51:51+00:00','','company',1,'société','name','','Ancienne SARL');
INSERT INTO "audit_entry" VALUES(2,'2026-11-28T00:51:51+00:00','','company',1,'société','siren','','732829320');
INSERT INTO "audit_entry" VALUES(3,'2026-11-28T00:51:51+00:00','','customer',1,'V1C','création',NULL,'Client d''avant');
INSERT INTO "audit_entry" VALUES(4,'2026-11-28T00:51:51+00:00','','product',1,'V1P','création',NULL,'Produit d''avant');
INSERT INTO "audit_entry" VALUES(5,'2026-11-28T00:51:51+00:00','','product',1,'V1P','stock','0','7');
INSERT INTO "audit_entry" VALUES(6,'2026-11-28T00:51:51+00:00','','document',1,'Facture brouillon #1','création',NULL,'Facture');
INSERT INTO "audit_entry" VALUES(7,'2026-11-28T00:51:51+00:00','','document',2,'Devis brouillon #2','création',NULL,'Devis');
CREATE TABLE "company" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "legal_form" VARCHAR(255) NOT NULL, "capital" INTEGER, "siren" VARCHAR(255) NOT NULL, "siret" VARCHAR(255) NOT NULL, "rcs_city" VARCHAR(255) NOT NULL, "vat_number" VARCHAR(255) NOT NULL, "line1" VARCHAR(255) NOT NULL, "line2" VARCHAR(255) NOT NULL, "postcode" VARCHAR(255) NOT NULL, "city" VARCHAR(255) NOT NULL, "country" VARCHAR(255) NOT NULL, "email" VARCHAR(255) NOT NULL, "phone" VARCHAR(255) NOT NULL, "iban" VARCHAR(255) NOT NULL, "bic" VARCHAR(255) NOT NULL, "payment_terms_days" INTEGER NOT NULL, "late_penalty_rate" INTEGER NOT NULL, "recovery_indemnity" TEXT NOT NULL, "vat_on_debits" INTEGER NOT NULL, "sole_trader" INTEGER NOT NULL, "logo_path" VARCHAR(255) NOT NULL, "always_sign" INTEGER NOT NULL);
INSERT INTO "company" VALUES(1,'Ancienne SARL','',NULL,'732829320','','','','','','','','FR','','','','',30,0,'',0,0,'',0);
CREATE TABLE "customer" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "name_key" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "siren" VARCHAR(255) NOT NULL, "siret" VARCHAR(255) NOT NULL, "vat_number" VARCHAR(255) NOT NULL, "email" VARCHAR(255) NOT NULL, "phone" VARCHAR(255) NOT NULL, "line1" VARCHAR(255) NOT NULL, "line2" VARCHAR(255) NOT NULL, "postcode" VARCHAR(255) NOT NULL, "city" VARCHAR(255) NOT NULL, "country" VARCHAR(255) NOT NULL, "delivery_name" VARCHAR(255) NOT NULL, "delivery_line1" VARCHAR(255) NOT NULL, "delivery_line2" VARCHAR(255) NOT NULL, "delivery_postcode" VARCHAR(255) NOT NULL, "delivery_city" VARCHAR(255) NOT NULL, "delivery_country" VARCHAR(255) NOT NULL, "payment_terms_days" INTEGER, "salesperson" VARCHAR(255) NOT NULL, "notes" TEXT NOT NULL, "active" INTEGER NOT NULL);
INSERT INTO "customer" VALUES(1,'V1C','Client d''avant','client d''avant','company','552100554','','','','','','','75001','Paris','FR','','','','','','',NULL,'','',1);
CREATE TABLE "document" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(255) NOT NULL, "type" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, "number" VARCHAR(255), "date" DATE NOT NULL, "due_date" DATE, "validity_date" DATE, "customer_id" INTEGER NOT NULL, "customer_snapshot" TEXT, "seller_snapshot" TEXT, "reference" VARCHAR(255) NOT NULL, "notes" TEXT NOT NULL, "currency" VARCHAR(255) NOT NULL, "source_refs" TEXT NOT NULL, "preceding_id" INTEGER, "returns_goods" INTEGER NOT NULL, "version" INTEGER NOT NULL, "line_total" INTEGER NOT NULL, "allowance_total" INTEGER NOT NULL, "charge_total" INTEGER NOT NULL, "tax_basis_total" INTEGER NOT NULL, "tax_total" INTEGER NOT NULL, "grand_total" INTEGER NOT NULL, "prepaid" INTEGER NOT NULL, "rounding" INTEGER NOT NULL, "due" INTEGER NOT NULL, "sealed" INTEGER NOT NULL, "created_at" VARCHAR(255) NOT NULL, "created_by" VARCHAR(255) NOT NULL, "validated_at" VARCHAR(255), "validated_by" VARCHAR(255), FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE RESTRICT, FOREIGN KEY ("preceding_id") REFERENCES "document" ("id") ON DELETE RESTRICT);
INSERT INTO "document" VALUES(1,'invoice','standard','validated','FA2026-00001','2026-01-15','2026-02-14',NULL,1,'{"address":{"city":"Paris","country":"FR","line1":"","line2":"","postcode":"75001"},"code":"V1C","delivery_address":null,"email":"","kind":"company","name":"Client d''avant","siren":"552100554","siret":"","vat_number":""}','{"address":{"city":"","country":"FR","line1":"","line2":"","postcode":""},"bic":"","capital":null,"email":"","iban":"","late_penalty_rate":"0.00","legal_form":"","name":"Ancienne SARL","phone":"","rcs_city":"","recovery_indemnity":"Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € (art. L441-10 et D441-5 du Code de commerce)","siren":"732829320","siret":"","sole_trader":false,"vat_number":"","vat_on_debits":false}','','','EUR','[]',NULL,1,1,2000,0,0,2000,400,2400,0,0,2400,1,'2026-11-28T00:51:51+00:00','','2026-11-28T00:51:51+00:00','');
INSERT INTO "document" VALUES(2,'quote','standard','draft',NULL,'2026-01-16',NULL,NULL,1,NULL,NULL,'','','EUR','[]',NULL,1,1,1000,0,0,1000,200,1200,0,0,1200,0,'2026-11-28T00:51:51+00:00','',NULL,NULL);
CREATE TABLE "document_adjustment" ("id" INTEGER NOT NULL PRIMARY KEY, "document_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "is_charge" INTEGER NOT NULL, "amount" INTEGER NOT NULL, "vat_rate" INTEGER NOT NULL, "vat_category" VARCHAR(255) NOT NULL, "reason" VARCHAR(255) NOT NULL, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE);
CREATE TABLE "document_line" ("id" INTEGER NOT NULL PRIMARY KEY, "document_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "kind" VARCHAR(255) NOT NULL, "product_id" INTEGER, "code" VARCHAR(255) NOT NULL, "description" TEXT NOT NULL, "quantity" INTEGER, "unit" VARCHAR(255) NOT NULL, "unit_price" INTEGER, "discount_percent" INTEGER NOT NULL, "vat_rate" INTEGER, "vat_category" VARCHAR(255), "cost_price" INTEGER, "net_amount" INTEGER, "origin_id" INTEGER, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("origin_id") REFERENCES "document_line" ("id") ON DELETE RESTRICT);
INSERT INTO "document_line" VALUES(1,1,1,'goods',1,'V1P','Produit d''avant',2000,'C62',100000,0,2000,'S',0,2000,NULL);
INSERT INTO "document_line" VALUES(2,1,2,'text',NULL,'','merci',NULL,'C62',NULL,0,NULL,NULL,NULL,NULL,NULL);
INSERT INTO "document_line" VALUES(3,2,1,'goods',1,'V1P','Produit d''avant',1000,'C62',100000,0,2000,'S',0,1000,NULL);
CREATE TABLE "document_vat" ("id" INTEGER NOT NULL PRIMARY KEY, "document_id" INTEGER NOT NULL, "category" VARCHAR(255) NOT NULL, "rate" INTEGER NOT NULL, "basis" INTEGER NOT NULL, "amount" INTEGER NOT NULL, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE);
INSERT INTO "document_vat" VALUES(1,1,'S',2000,2000,400);
INSERT INTO "document_vat" VALUES(2,2,'S',2000,1000,200);
CREATE TABLE "journal_record" ("id" INTEGER NOT NULL PRIMARY KEY, "chain" VARCHAR(255) NOT NULL, "seq" INTEGER NOT NULL, "action" VARCHAR(255) NOT NULL, "ref" VARCHAR(255) NOT NULL, "payload" TEXT NOT NULL, "prev_signature" TEXT NOT NULL, "hash" VARCHAR(255) NOT NULL, "signature" TEXT NOT NULL, "key_id" VARCHAR(255) NOT NULL, "format_version" INTEGER NOT NULL, "created_at" VARCHAR(255) NOT NULL, "user" VARCHAR(255) NOT NULL);
INSERT INTO "journal_record" VALUES(1,'event',1,'settings','société','{"action":"settings","at":"2026-11-28T00:51:51+00:00","fields":["name","siren"]}','','42e0c1c1efbf042db1cbec7518e7fc4097330b59319e9589e77092a4db1ff5a3','EYXT8NrpfgJXZQOFeG0zhUGmj31bZLrOPNDSHDFsTZMlHv_ulEBoaWHZ3nyf1czACf85-zrKI2YLZePxBhahDQ==','77302936b8200da0',1,'2026-11-28T00:51:51+00:00','');
INSERT INTO "journal_record" VALUES(2,'invoice',1,'validate','FA2026-00001','{"adjustments":[],"currency":"EUR","customer":{"address":{"city":"Paris","country":"FR","line1":"","line2":"","postcode":"75001"},"code":"V1C","delivery_address":null,"email":"","kind":"company","name":"Client d''avant","siren":"552100554","siret":"","vat_number":""},"date":"2026-01-15","due_date":"2026-02-14","format":1,"kind":"invoice","lines":[{"code":"V1P","cost_price":"0.0000","description":"Produit d''avant","discount_percent":"0.00","kind":"goods","net_amount":"20.00","position":1,"quantity":"2.000","unit":"C62","unit_price":"10.0000","vat_category":"S","vat_rate":"20.00"},{"code":"","cost_price":null,"description":"merci","discount_percent":"0.00","kind":"text","net_amount":null,"position":2,"quantity":null,"unit":"C62","unit_price":null,"vat_category":null,"vat_rate":null}],"notes":"","number":"FA2026-00001","reference":"","returns_goods":true,"seller":{"address":{"city":"","country":"FR","line1":"","line2":"","postcode":""},"bic":"","capital":null,"email":"","iban":"","late_penalty_rate":"0.00","legal_form":"","name":"Ancienne SARL","phone":"","rcs_city":"","recovery_indemnity":"Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 € (art. L441-10 et D441-5 du Code de commerce)","siren":"732829320","siret":"","sole_trader":false,"vat_number":"","vat_on_debits":false},"source_refs":[],"totals":{"allowance_total":"0.00","charge_total":"0.00","due":"24.00","grand_total":"24.00","line_total":"20.00","prepaid":"0.00","rounding":"0.00","tax_basis_total":"20.00","tax_total":"4.00"},"type":"standard","validated_at":"2026-11-28T00:51:51+00:00","validated_by":"","validity_date":null,"vat":[{"amount":"4.00","basis":"20.00","category":"S","rate":"20.00"}]}','','82cdab7e926c439463d6cd48823c6d5eb2bb83635ed23d631a2d26d4f5f0870d','QS-Kl7DrFOn_r0U-4k46XO4CNYgbGgpxOUsB_pUqClDApfxZxW4DgdW64wL5TRZV13EnQGIpNsHCLNkJEJeWDg==','77302936b8200da0',1,'2026-11-28T00:51:51+00:00','');
CREATE TABLE "product" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(255) NOT NULL, "name" VARCHAR(255) NOT NULL, "name_key" VARCHAR(255) NOT NULL, "barcode" VARCHAR(255) NOT NULL, "family" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "unit" VARCHAR(255) NOT NULL, "price" INTEGER NOT NULL, "cost" INTEGER NOT NULL, "vat_rate" INTEGER NOT NULL, "vat_category" VARCHAR(255) NOT NULL, "stock_managed" INTEGER NOT NULL, "active" INTEGER NOT NULL);
INSERT INTO "product" VALUES(1,'V1P','Produit d''avant','produit d''avant','','','goods','C62',100000,0,2000,'S',1,1);
CREATE TABLE "schema_info" ("id" INTEGER NOT NULL PRIMARY KEY, "version" INTEGER NOT NULL);
INSERT INTO "schema_info" VALUES(1,1);
CREATE TABLE "sequence" ("series" VARCHAR(255) NOT NULL, "period" VARCHAR(255) NOT NULL, "next_value" INTEGER NOT NULL, "last_date" DATE, PRIMARY KEY ("series", "period"));
INSERT INTO "sequence" VALUES('invoice','2026',2,'2026-01-15');
CREATE TABLE "setting" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL);
CREATE TABLE "stock_move" ("id" INTEGER NOT NULL PRIMARY KEY, "product_id" INTEGER NOT NULL, "quantity" INTEGER NOT NULL, "document_id" INTEGER, "line_id" INTEGER, "date" DATE NOT NULL, "reason" VARCHAR(255) NOT NULL, FOREIGN KEY ("product_id") REFERENCES "product" ("id") ON DELETE RESTRICT, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE RESTRICT, FOREIGN KEY ("line_id") REFERENCES "document_line" ("id") ON DELETE RESTRICT);
INSERT INTO "stock_move" VALUES(1,1,7000,NULL,NULL,'2026-11-28','inventaire');
INSERT INTO "stock_move" VALUES(2,1,-2000,1,1,'2026-01-15','vente comptoir');
CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(255) NOT NULL, "full_name" VARCHAR(255) NOT NULL, "role" VARCHAR(255) NOT NULL, "password_hash" VARCHAR(255), "os_account" VARCHAR(255), "active" INTEGER NOT NULL, "failed_logins" INTEGER NOT NULL, "locked_until" VARCHAR(255), "created_at" VARCHAR(255) NOT NULL);
CREATE INDEX "audit_entry_entity_entity_id" ON "audit_entry" ("entity", "entity_id");
CREATE INDEX "audit_entry_user" ON "audit_entry" ("user");
CREATE UNIQUE INDEX "customer_code" ON "customer" ("code");
CREATE INDEX "customer_name_key" ON "customer" ("name_key");
CREATE UNIQUE INDEX "document_number" ON "document" ("number");
CREATE INDEX "document_customer_id" ON "document" ("customer_id");
CREATE INDEX "document_preceding_id" ON "document" ("preceding_id");
CREATE INDEX "document_kind_id" ON "document" ("kind", "id");
CREATE INDEX "document_kind_status_id" ON "document" ("kind", "status", "id");
CREATE INDEX "document_customer_id_id" ON "document" ("customer_id", "id");
CREATE INDEX "document_date_id" ON "document" ("date", "id");
CREATE INDEX "document_adjustment_document_id" ON "document_adjustment" ("document_id");
CREATE UNIQUE INDEX "product_code" ON "product" ("code");
CREATE INDEX "product_name_key" ON "product" ("name_key");
CREATE INDEX "product_barcode" ON "product" ("barcode");
CREATE INDEX "product_family" ON "product" ("family");
CREATE INDEX "document_line_document_id" ON "document_line" ("document_id");
CREATE INDEX "document_line_product_id" ON "document_line" ("product_id");
CREATE INDEX "document_line_origin_id" ON "document_line" ("origin_id");
CREATE UNIQUE INDEX "document_line_document_id_position" ON "document_line" ("document_id", "position");
CREATE INDEX "document_vat_document_id" ON "document_vat" ("document_id");
CREATE INDEX "journal_record_ref" ON "journal_record" ("ref");
CREATE UNIQUE INDEX "journal_record_chain_seq" ON "journal_record" ("chain", "seq");
CREATE INDEX "stock_move_product_id" ON "stock_move" ("product_id");
CREATE INDEX "stock_move_document_id" ON "stock_move" ("document_id");
CREATE INDEX "stock_move_line_id" ON "stock_move" ("line_id");
CREATE INDEX "stock_move_product_id_date" ON "stock_move" ("product_id", "date");
CREATE UNIQUE INDEX "user_name" ON "user" ("name");
CREATE UNIQUE INDEX "user_os_account" ON "user" ("os_account");
CREATE TRIGGER document_sealed_update BEFORE UPDATE ON document
            WHEN OLD.sealed AND (NEW.kind IS NOT OLD.kind OR NEW.type IS NOT OLD.type OR NEW.number IS NOT OLD.number OR NEW.date IS NOT OLD.date OR NEW.due_date IS NOT OLD.due_date OR NEW.validity_date IS NOT OLD.validity_date OR NEW.customer_id IS NOT OLD.customer_id OR NEW.customer_snapshot IS NOT OLD.customer_snapshot OR NEW.seller_snapshot IS NOT OLD.seller_snapshot OR NEW.reference IS NOT OLD.reference OR NEW.notes IS NOT OLD.notes OR NEW.currency IS NOT OLD.currency OR NEW.source_refs IS NOT OLD.source_refs OR NEW.preceding_id IS NOT OLD.preceding_id OR NEW.returns_goods IS NOT OLD.returns_goods OR NEW.version IS NOT OLD.version OR NEW.line_total IS NOT OLD.line_total OR NEW.allowance_total IS NOT OLD.allowance_total OR NEW.charge_total IS NOT OLD.charge_total OR NEW.tax_basis_total IS NOT OLD.tax_basis_total OR NEW.tax_total IS NOT OLD.tax_total OR NEW.grand_total IS NOT OLD.grand_total OR NEW.prepaid IS NOT OLD.prepaid OR NEW.rounding IS NOT OLD.rounding OR NEW.due IS NOT OLD.due OR NEW.sealed IS NOT OLD.sealed OR NEW.validated_at IS NOT OLD.validated_at OR NEW.validated_by IS NOT OLD.validated_by)
            BEGIN SELECT RAISE(ABORT, 'document scellé : modification refusée'); END;
CREATE TRIGGER document_sealed_delete BEFORE DELETE ON document
            WHEN OLD.sealed BEGIN SELECT RAISE(ABORT, 'document scellé : suppression refusée'); END;
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal_record
            BEGIN SELECT RAISE(ABORT, 'journal : modification refusée'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal_record
            BEGIN SELECT RAISE(ABORT, 'journal : suppression refusée'); END;
CREATE TRIGGER document_line_sealed_update BEFORE UPDATE ON document_line
                WHEN (SELECT sealed FROM document WHERE id = OLD.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END;
CREATE TRIGGER document_line_sealed_delete BEFORE DELETE ON document_line
                WHEN (SELECT sealed FROM document WHERE id = OLD.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END;
CREATE TRIGGER document_line_sealed_insert BEFORE INSERT ON document_line
                WHEN (SELECT sealed FROM document WHERE id = NEW.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END;
CREATE TRIGGER document_adjustment_sealed_update BEFORE UPDATE ON document_adjustment
                WHEN (SELECT sealed FROM document WHERE id = OLD.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END;
CREATE TRIGGER document_adjustment_sealed_delete BEFORE DELETE ON document_adjustment
                WHEN (SELECT sealed FROM document WHERE id = OLD.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END;
CREATE TRIGGER document_adjustment_sealed_insert BEFORE INSERT ON document_adjustment
                WHEN (SELECT sealed FROM document WHERE id = NEW.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END;
CREATE TRIGGER document_vat_sealed_update BEFORE UPDATE ON document_vat
                WHEN (SELECT sealed FROM document WHERE id = OLD.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END;
CREATE TRIGGER document_vat_sealed_delete BEFORE DELETE ON document_vat
                WHEN (SELECT sealed FROM document WHERE id = OLD.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END;
CREATE TRIGGER document_vat_sealed_insert BEFORE INSERT ON document_vat
                WHEN (SELECT sealed FROM document WHERE id = NEW.document_id)
                BEGIN SELECT RAISE(ABORT, 'document scellé : ligne non modifiable'); END;
COMMIT;
